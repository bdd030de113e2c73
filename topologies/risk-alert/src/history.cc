#include "gale/risk/history.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <unordered_map>
#include <vector>

#include "gale/state.h"

namespace gale::risk {
namespace {

// Lets the maps be searched with a string_view, without building a std::string per lookup.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// One key's entries in (ts, id) order. Dropping old entries only moves `head_`; the vector is
// compacted when the dropped part outgrows the live part, so pruning is amortised O(1).
// Each entry also carries the running sum of amounts up to it, so a window's count and sum are
// two binary searches, not a walk over the window (a busy account has thousands of entries in
// a 24 h window).
class KeyHistory {
 public:
  std::int64_t newest_ts() const {
    return entries_.empty() ? INT64_MIN : entries_.back().entry.ts_ms;
  }
  std::size_t size() const { return entries_.size() - head_; }
  bool holds_nothing() const { return entries_.empty(); }

  // The live entries in (ts, id) order, for a snapshot. (The newest entry is always live: a
  // key's own records prune at most to its newest ts - retention.)
  template <typename F>
  void for_each_live(F&& f) const {
    for (auto e = live_begin(); e != entries_.end(); ++e) f(e->entry);
  }
  // For a restore: appends an entry after every one held; false if it is not after them in
  // (ts, id) order.
  bool append(HistoryEntry entry) {
    if (!entries_.empty() &&
        !before(entries_.back().entry.ts_ms, entries_.back().entry.id, entry.ts_ms, entry.id))
      return false;
    const std::int64_t sum =
        (entries_.empty() ? 0 : entries_.back().running_sum_minor) + entry.amount_minor;
    entries_.push_back(Stored{std::move(entry), sum});
    return true;
  }

  void insert(const events::Transaction& t) {
    const auto at = position(t.ts_ms, t.id);
    if (at != entries_.end() && at->entry.ts_ms == t.ts_ms && at->entry.id == t.id)
      return;  // a replay
    const std::int64_t sum_before = at != entries_.begin() ? std::prev(at)->running_sum_minor
                                    : at != entries_.end()
                                        ? at->running_sum_minor - at->entry.amount_minor
                                        : 0;
    for (auto later = at; later != entries_.end(); ++later)
      later->running_sum_minor += t.amount_minor;
    entries_.insert(at, Stored{HistoryEntry{t.ts_ms, t.id, t.amount_minor, t.lat, t.lon, t.city},
                               sum_before + t.amount_minor});
  }

  // Drops the entries at or before `horizon_ts`.
  void prune(std::int64_t horizon_ts) {
    while (head_ < entries_.size() && entries_[head_].entry.ts_ms <= horizon_ts) ++head_;
    if (head_ > 64 && head_ * 2 > entries_.size()) {
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  WindowTotals totals(std::int64_t after_ts, std::int64_t ts, std::string_view id) const {
    const auto end = position(ts, id);
    const auto first = std::partition_point(
        live_begin(), end, [after_ts](const Stored& s) { return s.entry.ts_ms <= after_ts; });
    if (first == end) return {};
    const auto last = std::prev(end);
    return {end - first,
            last->running_sum_minor - first->running_sum_minor + first->entry.amount_minor};
  }

  const HistoryEntry* latest_before(std::int64_t ts, std::string_view id) const {
    const auto end = position(ts, id);
    return end == live_begin() ? nullptr : &std::prev(end)->entry;
  }

 private:
  struct Stored {
    HistoryEntry entry;
    std::int64_t running_sum_minor;  // amounts of all entries up to this one, pruned ones too
  };
  using Iterator = std::vector<Stored>::iterator;
  using ConstIterator = std::vector<Stored>::const_iterator;

  ConstIterator live_begin() const { return entries_.begin() + static_cast<std::ptrdiff_t>(head_); }
  Iterator live_begin() { return entries_.begin() + static_cast<std::ptrdiff_t>(head_); }

  // The first live entry not before (ts, id).
  template <typename Self>
  static auto position_in(Self& self, std::int64_t ts, std::string_view id) {
    return std::partition_point(self.live_begin(), self.entries_.end(), [ts, id](const Stored& s) {
      return before(s.entry.ts_ms, s.entry.id, ts, id);
    });
  }
  ConstIterator position(std::int64_t ts, std::string_view id) const {
    return position_in(*this, ts, id);
  }
  Iterator position(std::int64_t ts, std::string_view id) { return position_in(*this, ts, id); }

  std::vector<Stored> entries_;
  std::size_t head_ = 0;
};

struct PayeeSeen {
  std::int64_t first_ts = 0;  // the account's first transaction with this payee, (ts, id) order
  std::string first_id;
  std::int64_t last_ts = 0;  // for eviction: the payee seen least recently goes first
};

// An account's history and its payees together: one lookup per transaction serves both.
struct AccountState {
  KeyHistory history;
  StringMap<PayeeSeen> payees;  // by counterparty
};

}  // namespace
}  // namespace gale::risk

// How a card's or account's history is checkpointed: its live entries, and an account's payees.
// Decoding refuses entries out of (ts, id) order, which the window searches rely on.
template <>
struct gale::Codec<gale::risk::KeyHistory> {
  static std::string name() { return "risk-history/1"; }
  static void encode(const risk::KeyHistory& h, std::string& out) {
    Codec<std::uint32_t>::encode(detail::count_of(h.size()), out);
    h.for_each_live([&out](const risk::HistoryEntry& e) {
      Codec<std::int64_t>::encode(e.ts_ms, out);
      Codec<std::string>::encode(e.id, out);
      Codec<std::int64_t>::encode(e.amount_minor, out);
      Codec<double>::encode(e.lat, out);
      Codec<double>::encode(e.lon, out);
      Codec<std::string>::encode(e.city, out);
    });
  }
  static risk::KeyHistory decode(std::string_view& in) {
    risk::KeyHistory h;
    for (auto n = Codec<std::uint32_t>::decode(in); n > 0; --n) {
      risk::HistoryEntry e;
      e.ts_ms = Codec<std::int64_t>::decode(in);
      e.id = Codec<std::string>::decode(in);
      e.amount_minor = Codec<std::int64_t>::decode(in);
      e.lat = Codec<double>::decode(in);
      e.lon = Codec<double>::decode(in);
      e.city = Codec<std::string>::decode(in);
      if (!h.append(std::move(e)))
        throw std::runtime_error("risk history: entries not in (ts, id) order");
    }
    return h;
  }
};

template <>
struct gale::Codec<gale::risk::AccountState> {
  static std::string name() { return "risk-account/1"; }
  static void encode(const risk::AccountState& a, std::string& out) {
    Codec<risk::KeyHistory>::encode(a.history, out);
    Codec<std::uint32_t>::encode(detail::count_of(a.payees.size()), out);
    for (const auto& [payee, seen] : a.payees) {
      Codec<std::string>::encode(payee, out);
      Codec<std::int64_t>::encode(seen.first_ts, out);
      Codec<std::string>::encode(seen.first_id, out);
      Codec<std::int64_t>::encode(seen.last_ts, out);
    }
  }
  static risk::AccountState decode(std::string_view& in) {
    risk::AccountState a;
    a.history = Codec<risk::KeyHistory>::decode(in);
    for (auto n = Codec<std::uint32_t>::decode(in); n > 0; --n) {
      std::string payee = Codec<std::string>::decode(in);
      risk::PayeeSeen& seen = a.payees[std::move(payee)];
      seen.first_ts = Codec<std::int64_t>::decode(in);
      seen.first_id = Codec<std::string>::decode(in);
      seen.last_ts = Codec<std::int64_t>::decode(in);
    }
    return a;
  }
};

namespace gale::risk {
namespace {

using Cards = KeyValueState<std::string, KeyHistory>;
using Accounts = KeyValueState<std::string, AccountState>;
// (the newest ts recorded under any key, records since the last sweep of quiet keys)
using Progress = ValueState<std::pair<std::int64_t, std::uint64_t>>;

void record_in(KeyHistory& history, const events::Transaction& t, std::int64_t retention_ms) {
  const std::int64_t horizon = std::max(history.newest_ts(), t.ts_ms) - retention_ms;
  if (t.ts_ms > horizon) history.insert(t);
  history.prune(horizon);
}

}  // namespace

struct InMemoryHistory::State {
  InMemoryHistoryOptions options;
  // The states: owned here, or declared in a bolt's StateContext (checkpointed()).
  std::unique_ptr<Cards> own_cards;
  std::unique_ptr<Accounts> own_accounts;
  std::unique_ptr<Progress> own_progress;
  Cards* cards = nullptr;
  Accounts* accounts = nullptr;
  Progress* progress = nullptr;
  std::size_t payee_count = 0;
  mutable std::string lookup;  // a key searched for, kept to reuse its buffer

  const KeyHistory* find(KeyField field, std::string_view key) const {
    lookup.assign(key);
    if (field == KeyField::card) return cards->find(lookup);
    const AccountState* account = accounts->find(lookup);
    return account != nullptr ? &account->history : nullptr;
  }

  // True when no transaction of the account before t had t's counterparty.
  bool record_payee(StringMap<PayeeSeen>& seen, const events::Transaction& t) {
    const auto payee = seen.find(std::string_view(t.counterparty));
    if (payee != seen.end()) {
      PayeeSeen& p = payee->second;
      p.last_ts = std::max(p.last_ts, t.ts_ms);
      if (before(p.first_ts, p.first_id, t.ts_ms, t.id)) return false;
      if (p.first_ts != t.ts_ms || p.first_id != t.id) {  // t came late but is the earlier one
        p.first_ts = t.ts_ms;
        p.first_id = t.id;
      }
      return true;
    }
    if (seen.size() >= options.max_payees_per_account && !seen.empty()) {
      // Ties by name: the same payee goes whatever order the map holds them in (a restored
      // one holds them in another).
      seen.erase(std::min_element(seen.begin(), seen.end(), [](const auto& a, const auto& b) {
        return std::tie(a.second.last_ts, a.first) < std::tie(b.second.last_ts, b.first);
      }));
      --payee_count;
    }
    seen.emplace(t.counterparty, PayeeSeen{t.ts_ms, t.id, t.ts_ms});
    ++payee_count;
    return true;
  }

  // A key that saw no transaction within the retention before the newest one seen anywhere
  // would be pruned empty by its next transaction anyway: drop it now so that quiet cards and
  // accounts do not hold memory (an account's payees stay). Run once per as many records as
  // there are keys, which keeps the cost per record O(1) amortised.
  void sweep_quiet_keys(std::int64_t retention_ms) {
    auto& [newest_ts, records_since_sweep] = progress->mutate();
    if (++records_since_sweep < std::max<std::size_t>(4096, cards->size() + accounts->size()))
      return;
    records_since_sweep = 0;
    const std::int64_t horizon = newest_ts - retention_ms;
    std::vector<std::string> quiet;
    cards->for_each([&](const std::string& card, const KeyHistory& history) {
      if (history.newest_ts() <= horizon) quiet.push_back(card);
    });
    for (const auto& card : quiet) cards->remove(card);
    quiet.clear();
    // (An account kept for its payees, its history already dropped, is not written again.)
    accounts->for_each([&](const std::string& account, const AccountState& state) {
      if (state.history.newest_ts() <= horizon &&
          (state.payees.empty() || !state.history.holds_nothing()))
        quiet.push_back(account);
    });
    for (const auto& account : quiet) {
      if (accounts->find(account)->payees.empty())
        accounts->remove(account);
      else
        accounts->mutate(account).history = KeyHistory();
    }
  }

  void count_payees() {
    accounts->for_each(
        [this](const std::string&, const AccountState& a) { payee_count += a.payees.size(); });
  }
};

InMemoryHistory::InMemoryHistory(InMemoryHistoryOptions options)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = options;
  s.own_cards = std::make_unique<Cards>("cards");
  s.own_accounts = std::make_unique<Accounts>("accounts");
  s.own_progress = std::make_unique<Progress>("progress");
  s.cards = s.own_cards.get();
  s.accounts = s.own_accounts.get();
  s.progress = s.own_progress.get();
  s.cards->stop_tracking();  // never snapshotted
  s.accounts->stop_tracking();
}

std::unique_ptr<InMemoryHistory> InMemoryHistory::checkpointed(StateContext& state,
                                                               InMemoryHistoryOptions options) {
  std::unique_ptr<InMemoryHistory> history(new InMemoryHistory(Checkpointed{}));
  State& s = *history->state_;
  s.options = options;
  s.cards = &state.key_value<std::string, KeyHistory>("risk.cards");
  s.accounts = &state.key_value<std::string, AccountState>("risk.accounts");
  s.progress = &state.value<std::pair<std::int64_t, std::uint64_t>>("risk.progress");
  s.count_payees();
  return history;
}

InMemoryHistory::InMemoryHistory(Checkpointed) : state_(std::make_unique<State>()) {}

InMemoryHistory::~InMemoryHistory() = default;

Recorded InMemoryHistory::record(const events::Transaction& t, std::int64_t retention_ms) {
  State& s = *state_;
  if (!s.progress->has_value()) s.progress->set({INT64_MIN, 0});
  auto& newest_ts = s.progress->mutate().first;
  newest_ts = std::max(newest_ts, t.ts_ms);
  if (!t.card.empty()) record_in(s.cards->mutate(t.card), t, retention_ms);
  Recorded recorded;
  if (!t.account.empty()) {
    AccountState& account = s.accounts->mutate(t.account);
    record_in(account.history, t, retention_ms);
    recorded.new_payee = !t.counterparty.empty() && s.record_payee(account.payees, t);
  }
  s.sweep_quiet_keys(retention_ms);
  return recorded;
}

WindowTotals InMemoryHistory::totals(KeyField field, std::string_view key, std::int64_t after_ts,
                                     std::int64_t ts, std::string_view id) {
  const KeyHistory* history = state_->find(field, key);
  return history != nullptr ? history->totals(after_ts, ts, id) : WindowTotals{};
}

const HistoryEntry* InMemoryHistory::latest_before(KeyField field, std::string_view key,
                                                   std::int64_t ts, std::string_view id) {
  const KeyHistory* history = state_->find(field, key);
  return history != nullptr ? history->latest_before(ts, id) : nullptr;
}

std::size_t InMemoryHistory::entry_count(KeyField field, std::string_view key) const {
  const KeyHistory* history = state_->find(field, key);
  return history != nullptr ? history->size() : 0;
}

std::size_t InMemoryHistory::key_count() const {
  return state_->cards->size() + state_->accounts->size();
}

std::size_t InMemoryHistory::payee_count() const {
  return state_->payee_count;
}

}  // namespace gale::risk
