#pragma once
// The transaction history in Redis, so that windowed rule state and known payees survive a
// worker restart (or a task moving to another worker). It answers every TransactionHistory
// call exactly as InMemoryHistory does (see the README, "State", for the one case where the
// in-memory history forgets sooner).
//
// Layout, under a configurable prefix (default "risk:state:"):
//   <prefix>card:<card>, <prefix>account:<account>   sorted sets scored by ts; a member encodes
//       (id, amount, lat, lon, city), id first, so equal scores order by id as (ts, id) does
//   <prefix>payees:<account>       hash counterparty -> "<first ts>:<first id>"
//   <prefix>payees-seen:<account>  sorted set counterparty scored by the latest ts (eviction)
// record() is one server-side script (one round trip, atomic): insert unless a replay, prune,
// read what precedes t, update the payees. totals() and latest_before() for the transaction just
// recorded are answered from what record() read; other queries cost one round trip each.
//
// A Redis failure (down, timeout, error reply) throws std::runtime_error: an answer is never
// made up from missing state. The bolt then fails the tuple and it is replayed; a replay is
// recorded once.
//
// Threading: not thread-safe; one history per engine, with its own connection.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "gale/config.h"
#include "gale/redis/options.h"
#include "gale/risk/history.h"

namespace gale::risk {

struct RedisHistoryOptions {
  std::string prefix = "risk:state:";
  // As InMemoryHistoryOptions::max_payees_per_account.
  std::size_t max_payees_per_account = 1000;
  // History keys expire this long (wall clock) after their last write on top of the retention,
  // so that a worker that was down, or a replay that lags, still finds them; idle keys go away.
  std::chrono::milliseconds expiry_slack = std::chrono::hours(1);
  // An account's payees expire this long after its last payment (in memory they live as long
  // as the worker).
  std::chrono::milliseconds payee_ttl = std::chrono::hours(24 * 90);
};

class RedisHistory final : public TransactionHistory {
 public:
  // Does not connect: the first record() does.
  explicit RedisHistory(redis::ConnectionOptions connection, RedisHistoryOptions options = {});
  ~RedisHistory() override;

  Recorded record(const events::Transaction& t, std::int64_t retention_ms) override;
  WindowTotals totals(KeyField field, std::string_view key, std::int64_t after_ts, std::int64_t ts,
                      std::string_view id) override;
  const HistoryEntry* latest_before(KeyField field, std::string_view key, std::int64_t ts,
                                    std::string_view id) override;

  // Requests sent to Redis so far (a pipeline counts once), for tests and cost figures.
  std::size_t round_trips() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Whether risk.state is "checkpoint" (the default): the history is a stateful bolt's
// checkpointed state. Throws std::invalid_argument naming the key for a value other than
// "checkpoint", "memory" or "redis".
bool history_is_checkpointed(const Config& conf);

// The history the topology's config asks for: risk.state = "checkpoint" (the default,
// InMemoryHistory::checkpointed in `state`, which must then be given), "memory" (InMemoryHistory,
// lost on restart) or "redis" (RedisHistory on the redis.* connection keys, with
// risk.state.prefix, risk.state.expiry.slack.s and risk.state.payees.ttl.s). Throws
// std::invalid_argument naming the key for a bad value.
std::unique_ptr<TransactionHistory> make_history(const Config& conf, StateContext* state = nullptr);

}  // namespace gale::risk
