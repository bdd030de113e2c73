// Replays count once and give the same alerts; replacing the rules keeps the history.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace gale::risk {
namespace {

using namespace gale::risk::testing;

std::vector<std::string> alert_ids(const std::vector<Alert>& alerts) {
  std::vector<std::string> ids;
  for (const Alert& alert : alerts) ids.push_back(alert.id);
  return ids;
}

const char* const replay_rules = R"yaml(
rules:
  - {id: burst, kind: velocity, severity: medium, key: card, window: 60s, count: 3}
  - {id: sum, kind: cumulative, severity: high, key: account, window: 1h, limit: 30}
  - {id: new-payee, kind: first_time_payee, severity: medium}
  - {id: travel, kind: impossible_travel, severity: high, key: card, max_speed_kmh: 900}
)yaml";

TEST(ReplayTest, ReplayDoesNotDoubleCount) {
  RiskEngine engine(rules(replay_rules));
  const std::int64_t t0 = midnight_ms + 12 * hour_ms;
  // Each is 10.00 to merchant-1 in Paris.
  EXPECT_EQ(fired(engine, tx("t1", t0)), Ids{"new-payee"});
  EXPECT_EQ(fired(engine, tx("t2", t0 + second_ms)), Ids{});
  EXPECT_EQ(fired(engine, tx("t2", t0 + second_ms)), Ids{});  // replayed: still count 2, sum 20
  EXPECT_EQ(fired(engine, tx("t1", t0)), Ids{"new-payee"});   // a replay of the first payment
  EXPECT_EQ(fired(engine, tx("t3", t0 + 2 * second_ms)), (Ids{"burst", "sum"}));
  EXPECT_EQ(engine.stats().transactions, 5u);
}

TEST(ReplayTest, ReplayGivesTheSameAlertsWithTheSameIds) {
  RiskEngine engine(rules(replay_rules));
  const std::int64_t t0 = midnight_ms + 12 * hour_ms;
  engine.evaluate(at(tx("t1", t0), paris));
  engine.evaluate(at(tx("t2", t0 + second_ms), paris));
  const events::Transaction t3 = at(tx("t3", t0 + 2 * second_ms), new_york);
  const std::vector<Alert> first = engine.evaluate(t3);
  ASSERT_EQ(first.size(), 3u);  // burst, sum, travel
  // Later transactions do not change what a replay of t3 sees: only those before it count.
  engine.evaluate(at(tx("t4", t0 + 3 * second_ms), new_york));
  const std::vector<Alert> again = engine.evaluate(t3);
  EXPECT_EQ(alert_ids(again), alert_ids(first));
  for (std::size_t i = 0; i < first.size() && i < again.size(); ++i) {
    EXPECT_EQ(again[i].evidence, first[i].evidence) << first[i].rule;
  }
  EXPECT_EQ(first[0].id, alert_id(first[0].rule, "t3"));
}

TEST(ReloadTest, NewRulesApplyAtOnceWithTheHistoryThereIs) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: burst, kind: velocity, severity: medium, key: card, window: 10m, count: 5}
)yaml"));
  const std::int64_t t0 = midnight_ms + 12 * hour_ms;
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(fired(engine, tx("t" + std::to_string(i), t0 + i * minute_ms)), Ids{});
  }
  engine.replace_rules(rules(R"yaml(
rules:
  - {id: burst, kind: velocity, severity: medium, key: card, window: 10m, count: 4}
  - {id: big, kind: threshold, severity: high, when: "tx.amount >= 10"}
)yaml"));
  // The fourth transaction is the fourth in the window: the lowered count fires on it.
  EXPECT_EQ(fired(engine, tx("t4", t0 + 4 * minute_ms)), (Ids{"big", "burst"}));
  const RiskStats stats = engine.stats();
  EXPECT_EQ(stats.transactions, 4u);
  EXPECT_EQ(stats.rules.at("burst").alerts, 1u);
  EXPECT_EQ(stats.rules.at("big").alerts, 1u);
}

TEST(ReloadTest, RemovedRulesStopFiring) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: big, kind: threshold, severity: high, when: "tx.amount >= 10"}
)yaml"));
  EXPECT_EQ(fired(engine, tx("t1")), Ids{"big"});
  engine.replace_rules(rules("rules: []\n"));
  EXPECT_EQ(fired(engine, tx("t2")), Ids{});
  EXPECT_EQ(engine.stats().rules.at("big").alerts, 1u);  // the count stays
}

TEST(ReloadTest, ARuleSetThatDoesNotCompileLeavesTheOldRules) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: big, kind: threshold, severity: high, when: "tx.amount >= 10"}
)yaml"));
  // Bypasses load_rules, which would have refused it.
  Rule broken;
  broken.id = "broken";
  broken.when = "tx.amount >>> 1";
  auto bad = std::make_shared<const RuleSet>(std::vector<Rule>{broken}, std::vector<WatchList>{});
  EXPECT_THROW(engine.replace_rules(bad), std::runtime_error);
  EXPECT_EQ(fired(engine, tx("t1")), Ids{"big"});
  EXPECT_EQ(engine.rules().rules().size(), 1u);
}

}  // namespace
}  // namespace gale::risk
