#pragma once
// The per-key transaction history the windowed rules read. It is rule-independent: every
// transaction is recorded under its card and its account, so a reloaded rule set sees at once the
// history there is. An interface, so that a Redis-backed history can replace the in-memory one.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gale/events/events.h"
#include "gale/risk/rules.h"

namespace gale {
class StateContext;  // gale/state.h
}

namespace gale::risk {

// What the windowed rules need of one past transaction.
struct HistoryEntry {
  std::int64_t ts_ms = 0;
  std::string id;
  std::int64_t amount_minor = 0;
  double lat = 0;
  double lon = 0;
  std::string city;
};

struct WindowTotals {
  std::int64_t count = 0;
  std::int64_t sum_minor = 0;
};

// What recording a transaction found out.
struct Recorded {
  // No transaction of the account before t (in (ts, id) order) had t's counterparty. A replay
  // of the first such transaction finds this again.
  bool new_payee = false;
};

// (ts, id) order: the order in which the rules see transactions.
inline bool before(std::int64_t ts_a, std::string_view id_a, std::int64_t ts_b,
                   std::string_view id_b) {
  return ts_a < ts_b || (ts_a == ts_b && id_a < id_b);
}

// Not thread-safe: one engine (one bolt task) owns one history.
class TransactionHistory {
 public:
  virtual ~TransactionHistory() = default;

  // Records t under its card (when it has one) and its account. A transaction already recorded
  // (same id and ts: a replay) is not recorded twice. Entries at or before (the key's newest
  // ts - retention_ms) are dropped; t itself is not recorded when it is already that old.
  // Also records that the account paid t's counterparty (see Recorded).
  virtual Recorded record(const events::Transaction& t, std::int64_t retention_ms) = 0;

  // Count and amount sum of one card's or account's transactions later than after_ts and
  // before (ts, id): the window (after_ts, ts] without the transaction (ts, id) itself and
  // without those at ts ordered after it.
  virtual WindowTotals totals(KeyField field, std::string_view key, std::int64_t after_ts,
                              std::int64_t ts, std::string_view id) = 0;

  // The key's latest transaction before (ts, id), or null. Valid until the next call on this
  // history.
  virtual const HistoryEntry* latest_before(KeyField field, std::string_view key, std::int64_t ts,
                                            std::string_view id) = 0;
};

struct InMemoryHistoryOptions {
  // Payees remembered per account; past it the payee seen least recently is forgotten (and
  // counts as new if it comes back).
  std::size_t max_payees_per_account = 1000;
};

// The history in process memory: lost when the worker restarts (see the README), unless it is
// checkpointed().
class InMemoryHistory final : public TransactionHistory {
 public:
  explicit InMemoryHistory(InMemoryHistoryOptions options = {});
  // The history held in a stateful bolt's checkpointed state (call it in
  // StatefulBolt::init_state): states "risk.cards", "risk.accounts" and "risk.progress",
  // restored from the last complete checkpoint, and each checkpoint writes the cards and
  // accounts recorded since the previous one. The states belong to the runtime: the history
  // must not outlive the bolt.
  static std::unique_ptr<InMemoryHistory> checkpointed(StateContext& state,
                                                       InMemoryHistoryOptions options = {});
  ~InMemoryHistory() override;

  Recorded record(const events::Transaction& t, std::int64_t retention_ms) override;
  WindowTotals totals(KeyField field, std::string_view key, std::int64_t after_ts, std::int64_t ts,
                      std::string_view id) override;
  const HistoryEntry* latest_before(KeyField field, std::string_view key, std::int64_t ts,
                                    std::string_view id) override;

  // Keys held (cards + accounts), entries held, and payees held, for tests and stats.
  std::size_t key_count() const;
  std::size_t entry_count(KeyField field, std::string_view key) const;
  std::size_t payee_count() const;

 private:
  struct Checkpointed {};
  explicit InMemoryHistory(Checkpointed);
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gale::risk
