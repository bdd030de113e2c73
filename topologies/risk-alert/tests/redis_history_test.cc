// RedisHistory against a real redis-server: the same answers as InMemoryHistory (history calls
// and whole-engine alerts over generated, replayed, out-of-order streams), state that survives
// a worker restart, and a Redis outage that fails loudly.
#include "gale/risk/redis_history.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

#include "gale/events/generator.h"
#include "gale/redis/client.h"
#include "gale/testing/redis_server.h"
#include "test_support.h"

namespace gale::risk {
namespace {

using namespace gale::risk::testing;

redis::ConnectionOptions connection(const gale::testing::RedisServer& server) {
  redis::ConnectionOptions options;
  options.port = server.port();
  options.timeout = std::chrono::milliseconds(300);
  return options;
}

std::unique_ptr<RedisHistory> redis_history(const gale::testing::RedisServer& server,
                                            RedisHistoryOptions options = {}) {
  return std::make_unique<RedisHistory>(connection(server), std::move(options));
}

void expect_same_alerts(const std::vector<Alert>& memory, const std::vector<Alert>& redis,
                        const events::Transaction& t) {
  ASSERT_EQ(redis.size(), memory.size()) << "transaction " << t.id;
  for (std::size_t i = 0; i < memory.size(); ++i) {
    EXPECT_EQ(redis[i].id, memory[i].id) << "transaction " << t.id;
    EXPECT_EQ(redis[i].rule, memory[i].rule) << "transaction " << t.id;
    EXPECT_EQ(redis[i].evidence, memory[i].evidence)
        << "transaction " << t.id << " " << memory[i].rule;
  }
}

// Record-by-record comparison of the two histories over a stream with few keys, late arrivals,
// replays and a short retention (so pruning happens all the time); every query is compared, for
// the transaction just recorded (answered from what record() read) and for random other points
// (read from Redis). With `max_payees` small, payees are evicted; the payee seen least recently
// goes, and as in memory a tie between two is not ordered, that stream has distinct timestamps.
void compare_histories(std::size_t max_payees, bool distinct_ts, std::int64_t min_new_payees) {
  gale::testing::RedisServer server;
  RedisHistoryOptions redis_options;
  redis_options.max_payees_per_account = max_payees;
  RedisHistory redis(connection(server), redis_options);
  InMemoryHistory memory(InMemoryHistoryOptions{.max_payees_per_account = max_payees});

  std::mt19937_64 rng(7);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  // Ids whose byte order differs from naive encodings: prefixes, '|' and a NUL inside.
  const std::vector<std::string> id_tails{"", "0", "|x", std::string("\0z", 2), "a"};
  const std::int64_t retention = 40 * second_ms;
  std::vector<events::Transaction> seen;
  std::int64_t clock = midnight_ms;
  std::int64_t new_payees = 0;
  std::int64_t windowed_hits = 0;
  for (int n = 0; n < 3000; ++n) {
    events::Transaction t;
    if (!seen.empty() && pick(8) == 0) {
      t = seen[seen.size() - 1 - static_cast<std::size_t>(pick(std::min<int>(50, seen.size())))];
    } else {
      clock += pick(3) * second_ms;  // several at one instant, too
      t = tx("t" + std::to_string(pick(40)) + id_tails[static_cast<std::size_t>(pick(5))]);
      t.ts_ms = clock - (pick(4) == 0 ? pick(30) * second_ms : 0);  // some arrive late
      if (distinct_ts) t.ts_ms += n % 1000;  // the whole seconds around t are 1000 records apart
      t.card = pick(6) == 0 ? "" : "card-" + std::to_string(pick(3));
      t.account = "acct-" + std::to_string(pick(2));
      t.counterparty = pick(10) == 0 ? "" : "payee-" + std::to_string(pick(6));
      t.amount_minor = 100 + pick(5000);
      t.lat = pick(1000) / 7.0;
      t.lon = -pick(1000) / 3.0;
      t.city = "City|" + std::to_string(pick(9));
      seen.push_back(t);
    }
    const Recorded m = memory.record(t, retention);
    const Recorded r = redis.record(t, retention);
    ASSERT_EQ(r.new_payee, m.new_payee) << "record #" << n << " " << t.id;
    new_payees += m.new_payee;

    const events::Transaction& other = seen[static_cast<std::size_t>(pick(seen.size()))];
    for (KeyField field : {KeyField::card, KeyField::account}) {
      const std::string& key = field == KeyField::card ? t.card : t.account;
      for (const auto& [ts, id] : {std::pair{t.ts_ms, t.id}, std::pair{other.ts_ms, other.id}}) {
        const std::int64_t after = ts - pick(50) * second_ms;
        const WindowTotals mt = memory.totals(field, key, after, ts, id);
        const WindowTotals rt = redis.totals(field, key, after, ts, id);
        ASSERT_EQ(rt.count, mt.count) << "record #" << n << " key " << key;
        ASSERT_EQ(rt.sum_minor, mt.sum_minor) << "record #" << n << " key " << key;
        windowed_hits += mt.count;
        const HistoryEntry* ml = memory.latest_before(field, key, ts, id);
        const HistoryEntry mine = ml ? *ml : HistoryEntry{};
        const HistoryEntry* rl = redis.latest_before(field, key, ts, id);
        ASSERT_EQ(rl == nullptr, ml == nullptr) << "record #" << n << " key " << key;
        if (rl == nullptr) continue;
        EXPECT_EQ(rl->ts_ms, mine.ts_ms);
        EXPECT_EQ(rl->id, mine.id);
        EXPECT_EQ(rl->amount_minor, mine.amount_minor);
        EXPECT_EQ(rl->lat, mine.lat);
        EXPECT_EQ(rl->lon, mine.lon);
        EXPECT_EQ(rl->city, mine.city);
      }
    }
  }
  // The stream exercised what it should: payees were new and old, windows were not empty.
  EXPECT_GT(new_payees, min_new_payees);
  EXPECT_LT(new_payees, 2500);
  EXPECT_GT(windowed_hits, 3000);
}

TEST(RedisHistoryTest, AnswersEveryCallAsInMemoryHistoryDoes) {
  compare_histories(1000, false, 12);
}

TEST(RedisHistoryTest, EvictsPayeesAsInMemoryHistoryDoes) {
  compare_histories(3, true, 100);
}

// The whole engine with the default rules over a generated stream with planted patterns and
// replays of random earlier transactions: the same alerts, ids and evidence, one round trip to
// Redis per transaction.
TEST(RedisHistoryTest, EngineGivesTheSameAlertsAsInMemory) {
  gale::testing::RedisServer server;
  auto redis = redis_history(server);
  const RedisHistory* redis_view = redis.get();
  RiskEngine with_redis(load_rules(default_rules_yaml()).value(), {}, std::move(redis));
  RiskEngine in_memory(load_rules(default_rules_yaml()).value());

  events::TransactionGenerator generator({.seed = 11, .accounts = 200, .suspicious = 0.05});
  std::mt19937_64 rng(3);
  std::vector<events::Transaction> seen;
  std::size_t alerts = 0;
  std::size_t evaluations = 0;
  auto both = [&](const events::Transaction& t) {
    const std::vector<Alert> memory_alerts = in_memory.evaluate(t);
    expect_same_alerts(memory_alerts, with_redis.evaluate(t), t);
    alerts += memory_alerts.size();
    ++evaluations;
  };
  for (int n = 0; n < 3000; ++n) {
    seen.push_back(generator.next().transaction);
    both(seen.back());
    if (rng() % 5 == 0) both(seen[rng() % seen.size()]);  // a replay
  }
  EXPECT_GT(alerts, 100u);  // planted patterns of every kind fired
  for (const auto& [rule, stats] : in_memory.stats().rules) {
    EXPECT_EQ(with_redis.stats().rules.at(rule).alerts, stats.alerts) << rule;
  }
  EXPECT_EQ(redis_view->round_trips(), evaluations);
}

// A worker restart between the 3rd and 4th transaction of a burst: with Redis the new engine
// still sees the first three, and the 5th fires card-velocity (5 in 60 s); in memory it does not.
TEST(RedisHistoryTest, VelocityBurstSurvivesAWorkerRestart) {
  gale::testing::RedisServer server;
  const std::int64_t t0 = midnight_ms + 12 * hour_ms;
  auto burst = [t0](int i) { return tx("burst-" + std::to_string(i), t0 + i * 10 * second_ms); };
  auto default_rules = [] { return load_rules(default_rules_yaml()).value(); };

  {
    RiskEngine before_restart(default_rules(), {}, redis_history(server));
    for (int i = 1; i <= 3; ++i) EXPECT_EQ(fired(before_restart, burst(i)), Ids{});
  }
  RiskEngine after_restart(default_rules(), {}, redis_history(server));
  EXPECT_EQ(fired(after_restart, burst(4)), Ids{});
  const std::vector<Alert> fifth = after_restart.evaluate(burst(5));
  ASSERT_EQ(fifth.size(), 1u);
  EXPECT_EQ(fifth[0].rule, "card-velocity");
  EXPECT_EQ(fifth[0].evidence["count"], 5);

  {
    RiskEngine before_restart(default_rules());
    for (int i = 1; i <= 3; ++i) EXPECT_EQ(fired(before_restart, burst(i)), Ids{});
  }
  RiskEngine in_memory_after_restart(default_rules());
  EXPECT_EQ(fired(in_memory_after_restart, burst(4)), Ids{});
  EXPECT_EQ(fired(in_memory_after_restart, burst(5)), Ids{});  // only 2 in its window
}

// evaluate() throws while Redis is hung or down, rather than answering from missing state; a
// retry after the outage counts the transaction once.
TEST(RedisHistoryTest, OutageMakesEvaluateThrow) {
  gale::testing::RedisServer server;
  const std::int64_t t0 = midnight_ms + 12 * hour_ms;
  auto burst = [t0](int i) { return tx("burst-" + std::to_string(i), t0 + i * second_ms); };
  RiskEngine engine(load_rules(default_rules_yaml()).value(), {}, redis_history(server));
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(fired(engine, burst(i)), Ids{});

  server.pause();  // hung: the request may run when it resumes
  EXPECT_THROW(engine.evaluate(burst(5)), std::runtime_error);
  server.resume();
  std::vector<Alert> fifth;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {  // the client may be backing off before it reconnects
    try {
      fifth = engine.evaluate(burst(5));  // the replay of the failed tuple
      break;
    } catch (const std::runtime_error&) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "redis did not come back";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ASSERT_EQ(fifth.size(), 1u);  // 5th exactly, whether or not the hung attempt was recorded
  EXPECT_EQ(fifth[0].rule, "card-velocity");

  server.stop();
  try {
    engine.evaluate(burst(6));
    FAIL() << "evaluate answered with redis down";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(server.port())),
              std::string::npos)
        << e.what();
  }
}

TEST(RedisHistoryTest, KeysUseThePrefixAndExpire) {
  gale::testing::RedisServer server;
  RedisHistoryOptions options;
  options.prefix = "test:";
  options.expiry_slack = std::chrono::minutes(1);
  RedisHistory history(connection(server), options);
  history.record(tx("t1"), 30 * second_ms);

  redis::RedisClient client(connection(server));
  auto pttl = [&client](const std::string& key) {
    return client.command({"PTTL", key}).value().integer;
  };
  for (const char* key : {"test:card:card-1", "test:account:acct-1"}) {
    EXPECT_GT(pttl(key), 60'000) << key;  // retention + slack
    EXPECT_LE(pttl(key), 90'000) << key;
  }
  EXPECT_GT(pttl("test:payees:acct-1"), 80LL * 24 * 3600 * 1000);  // the 90-day default
  EXPECT_EQ(client.command({"EXISTS", "risk:state:card:card-1"}).value().integer, 0);
}

TEST(MakeHistoryTest, ChoosesTheStoreFromTheConfig) {
  Config conf;
  EXPECT_TRUE(history_is_checkpointed(conf));  // the default: a stateful bolt's state
  conf.set("risk.state", "memory");
  EXPECT_FALSE(history_is_checkpointed(conf));
  EXPECT_NE(dynamic_cast<InMemoryHistory*>(make_history(conf).get()), nullptr);
  conf.set("risk.state", "redis");
  conf.set("redis.port", 6390);
  EXPECT_NE(dynamic_cast<RedisHistory*>(make_history(conf).get()), nullptr);

  auto error_of = [](const Config& c) {
    try {
      make_history(c);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Config bad;
  EXPECT_NE(error_of(bad).find("'checkpoint' keeps the history in a stateful bolt's state"),
            std::string::npos)
      << error_of(bad);
  bad.set("risk.state", "disk");
  EXPECT_EQ(error_of(bad), "risk.state: expected 'checkpoint', 'memory' or 'redis', got 'disk'");
  bad.set("risk.state", "redis");
  bad.set("risk.state.payees.ttl.s", -5);
  EXPECT_NE(error_of(bad).find("risk.state.payees.ttl.s"), std::string::npos) << error_of(bad);
  bad.set("risk.state.payees.ttl.s", 60);
  bad.set("redis.port", 0);
  EXPECT_NE(error_of(bad).find("redis.port"), std::string::npos) << error_of(bad);
}

}  // namespace
}  // namespace gale::risk
