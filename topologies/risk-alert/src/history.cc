#include "gale/risk/history.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <unordered_map>
#include <vector>

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
  std::int64_t first_ts;  // the account's first transaction with this payee, (ts, id) order
  std::string first_id;
  std::int64_t last_ts;  // for eviction: the payee seen least recently goes first
};

// An account's history and its payees together: one lookup per transaction serves both.
struct AccountState {
  KeyHistory history;
  StringMap<PayeeSeen> payees;  // by counterparty
};

template <typename V>
V& find_or_add(StringMap<V>& map, const std::string& key) {
  const auto found = map.find(std::string_view(key));
  return found != map.end() ? found->second : map.emplace(key, V()).first->second;
}

void record_in(KeyHistory& history, const events::Transaction& t, std::int64_t retention_ms) {
  const std::int64_t horizon = std::max(history.newest_ts(), t.ts_ms) - retention_ms;
  if (t.ts_ms > horizon) history.insert(t);
  history.prune(horizon);
}

}  // namespace

struct InMemoryHistory::State {
  InMemoryHistoryOptions options;
  StringMap<KeyHistory> cards;
  StringMap<AccountState> accounts;
  std::size_t payee_count = 0;
  std::int64_t newest_ts = INT64_MIN;  // over all keys
  std::size_t records_since_sweep = 0;

  const KeyHistory* find(KeyField field, std::string_view key) const {
    if (field == KeyField::card) {
      const auto found = cards.find(key);
      return found != cards.end() ? &found->second : nullptr;
    }
    const auto found = accounts.find(key);
    return found != accounts.end() ? &found->second.history : nullptr;
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
      seen.erase(std::min_element(seen.begin(), seen.end(), [](const auto& a, const auto& b) {
        return a.second.last_ts < b.second.last_ts;
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
    if (++records_since_sweep < std::max<std::size_t>(4096, cards.size() + accounts.size())) return;
    records_since_sweep = 0;
    const std::int64_t horizon = newest_ts - retention_ms;
    std::erase_if(cards,
                  [horizon](const auto& card) { return card.second.newest_ts() <= horizon; });
    for (auto account = accounts.begin(); account != accounts.end();) {
      AccountState& state = account->second;
      if (state.history.newest_ts() > horizon) {
        ++account;
        continue;
      }
      state.history = KeyHistory();
      account = state.payees.empty() ? accounts.erase(account) : std::next(account);
    }
  }
};

InMemoryHistory::InMemoryHistory(InMemoryHistoryOptions options)
    : state_(std::make_unique<State>()) {
  state_->options = options;
}

InMemoryHistory::~InMemoryHistory() = default;

Recorded InMemoryHistory::record(const events::Transaction& t, std::int64_t retention_ms) {
  State& s = *state_;
  s.newest_ts = std::max(s.newest_ts, t.ts_ms);
  if (!t.card.empty()) record_in(find_or_add(s.cards, t.card), t, retention_ms);
  Recorded recorded;
  if (!t.account.empty()) {
    AccountState& account = find_or_add(s.accounts, t.account);
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
  return state_->cards.size() + state_->accounts.size();
}

std::size_t InMemoryHistory::payee_count() const {
  return state_->payee_count;
}

}  // namespace gale::risk
