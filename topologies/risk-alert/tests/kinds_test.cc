// Each rule kind fires exactly when its definition says, at the edges included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace gale::risk {
namespace {

using namespace gale::risk::testing;

const Ids none;

// The one alert of `alerts`, or a test failure.
Alert only(const std::vector<Alert>& alerts) {
  if (alerts.size() != 1) {
    ADD_FAILURE() << "expected one alert, got " << alerts.size();
    return {};
  }
  return alerts.front();
}

TEST(ThresholdRuleTest, FiresWhenItsConditionHolds) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: large, kind: threshold, severity: high, when: "tx.amount >= 20000"}
)yaml"));
  EXPECT_EQ(fired(engine, with_amount(tx("t1"), 1'999'999)), none);
  const Alert alert = only(engine.evaluate(with_amount(tx("t2"), 2'000'000)));
  EXPECT_EQ(alert.rule, "large");
  EXPECT_EQ(alert.kind, "threshold");
  EXPECT_EQ(alert.severity, "high");
  EXPECT_EQ(alert.transaction.id, "t2");
  EXPECT_EQ(alert.evidence, (nlohmann::json{{"amount", 20000.0}}));
}

class VelocityRuleTest : public ::testing::Test {
 protected:
  RiskEngine engine{rules(R"yaml(
rules:
  - {id: burst, kind: velocity, severity: medium, key: card, window: 60s, count: 3}
  # Keeps an hour of history, so the window edges below are the rule's, not the pruning's.
  - {id: hourly, kind: velocity, severity: low, key: account, window: 1h, count: 1000}
)yaml")};
  const std::int64_t t0 = midnight_ms + 12 * hour_ms;
};

TEST_F(VelocityRuleTest, FiresOnTheTransactionThatReachesTheCount) {
  EXPECT_EQ(fired(engine, tx("t1", t0)), none);
  EXPECT_EQ(fired(engine, tx("t2", t0 + 10 * second_ms)), none);  // count - 1
  const Alert alert = only(engine.evaluate(tx("t3", t0 + 20 * second_ms)));
  EXPECT_EQ(alert.evidence, (nlohmann::json{{"count", 3}, {"window_s", 60.0}}));
  EXPECT_EQ(fired(engine, tx("t4", t0 + 30 * second_ms)), none);  // past the count: once per burst
}

TEST_F(VelocityRuleTest, WindowExcludesItsOpenStart) {
  EXPECT_EQ(fired(engine, tx("t1", t0)), none);
  EXPECT_EQ(fired(engine, tx("t2", t0 + 30 * second_ms)), none);
  // (t - 60s, t]: t1 is exactly 60 s older, so outside.
  EXPECT_EQ(fired(engine, tx("t3", t0 + 60 * second_ms)), none);
}

TEST_F(VelocityRuleTest, WindowIncludesJustInsideItsStart) {
  EXPECT_EQ(fired(engine, tx("t1", t0)), none);
  EXPECT_EQ(fired(engine, tx("t2", t0 + 30 * second_ms)), none);
  EXPECT_EQ(fired(engine, tx("t3", t0 + 60 * second_ms - 1)), Ids{"burst"});
}

TEST_F(VelocityRuleTest, SameTimeIsOrderedById) {
  // All at one instant, arriving out of id order: only smaller ids come before a transaction.
  EXPECT_EQ(fired(engine, tx("tx-d", t0)), none);
  EXPECT_EQ(fired(engine, tx("tx-a", t0)), none);          // tx-d comes after it: count 1
  EXPECT_EQ(fired(engine, tx("tx-b", t0)), none);          // tx-a, tx-b: count 2
  EXPECT_EQ(fired(engine, tx("tx-c", t0)), Ids{"burst"});  // tx-a, tx-b, tx-c; not tx-d
}

TEST_F(VelocityRuleTest, CountsPerCardOnly) {
  auto other_card = [](events::Transaction t) {
    t.card = "card-2";
    return t;
  };
  EXPECT_EQ(fired(engine, tx("t1", t0)), none);
  EXPECT_EQ(fired(engine, other_card(tx("t2", t0 + 1))), none);
  EXPECT_EQ(fired(engine, tx("t3", t0 + 2)), none);
  EXPECT_EQ(fired(engine, tx("t4", t0 + 3)), Ids{"burst"});
  events::Transaction no_card = tx("t5", t0 + 4);
  no_card.card.clear();
  EXPECT_EQ(fired(engine, no_card), none);
}

class CumulativeRuleTest : public ::testing::Test {
 protected:
  RiskEngine engine{rules(R"yaml(
rules:
  - {id: sum, kind: cumulative, severity: high, key: account, window: 1h, limit: 100}
  # Keeps a day of history, so the window edges below are the rule's, not the pruning's.
  - {id: daily, kind: cumulative, severity: low, key: card, window: 24h, limit: 1000000}
)yaml")};
  const std::int64_t t0 = midnight_ms + 12 * hour_ms;
};

TEST_F(CumulativeRuleTest, FiresWhenTheLimitIsExactlyReached) {
  EXPECT_EQ(fired(engine, with_amount(tx("t1", t0), 4000)), none);
  EXPECT_EQ(fired(engine, with_amount(tx("t2", t0 + minute_ms), 5999)), none);  // 99.99
  const Alert alert = only(engine.evaluate(with_amount(tx("t3", t0 + 2 * minute_ms), 1)));
  EXPECT_EQ(alert.evidence,
            (nlohmann::json{{"sum", 100.0}, {"limit", 100.0}, {"window_s", 3600.0}}));
  // Already over the limit before it: it did not cross it.
  EXPECT_EQ(fired(engine, with_amount(tx("t4", t0 + 3 * minute_ms), 1)), none);
}

TEST_F(CumulativeRuleTest, FiresWhenOneTransactionCrossesTheLimit) {
  EXPECT_EQ(fired(engine, with_amount(tx("t1", t0), 6000)), none);
  EXPECT_EQ(fired(engine, with_amount(tx("t2", t0 + minute_ms), 5000)), Ids{"sum"});
}

TEST_F(CumulativeRuleTest, AmountsLeaveTheWindowAtItsOpenStart) {
  EXPECT_EQ(fired(engine, with_amount(tx("t1", t0), 6000)), none);
  // t1 is exactly one hour older: outside (t - 1h, t], so 50 + 50 only reaches the limit now.
  EXPECT_EQ(fired(engine, with_amount(tx("t2", t0 + hour_ms), 5000)), none);
  EXPECT_EQ(fired(engine, with_amount(tx("t3", t0 + hour_ms + 1), 5000)), Ids{"sum"});
}

TEST_F(CumulativeRuleTest, OtherAccountsDoNotCount) {
  events::Transaction other = with_amount(tx("t1", t0), 9000);
  other.account = "acct-2";
  EXPECT_EQ(fired(engine, other), none);
  EXPECT_EQ(fired(engine, with_amount(tx("t2", t0 + 1), 9000)), none);
}

class TimeOfDayRuleTest : public ::testing::Test {
 protected:
  RiskEngine engine{rules(R"yaml(
rules:
  - {id: night, kind: time_of_day, severity: medium, from: "00:00", to: "05:00",
     when: "tx.amount >= 5000"}
  - {id: late, kind: time_of_day, severity: low, from: "22:00", to: "02:00"}
)yaml")};
  std::vector<std::string> fired_at(int hour, int minute, std::int64_t amount_minor = 500'000) {
    const std::string id = "t" + std::to_string(++n_);
    return fired(engine, with_amount(tx(id, midnight_ms + hour * hour_ms + minute * minute_ms),
                                     amount_minor));
  }

 private:
  int n_ = 0;
};

TEST_F(TimeOfDayRuleTest, FromIsInsideAndToIsOutside) {
  EXPECT_EQ(fired_at(0, 0), (Ids{"late", "night"}));
  EXPECT_EQ(fired_at(4, 59), Ids{"night"});
  EXPECT_EQ(fired_at(5, 0), none);
  EXPECT_EQ(fired_at(12, 0), none);
}

TEST_F(TimeOfDayRuleTest, WrapsMidnight) {
  EXPECT_EQ(fired_at(21, 59), none);
  EXPECT_EQ(fired_at(22, 0), Ids{"late"});
  EXPECT_EQ(fired_at(23, 59), Ids{"late"});
  EXPECT_EQ(fired_at(1, 59), (Ids{"late", "night"}));
  EXPECT_EQ(fired_at(2, 0), Ids{"night"});
}

TEST_F(TimeOfDayRuleTest, ConditionFiltersAndEvidenceHasTheHour) {
  EXPECT_EQ(fired_at(3, 0, 499'999), none);
  const std::vector<Alert> alerts =
      engine.evaluate(with_amount(tx("big", midnight_ms + 3 * hour_ms), 500'000));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].evidence, (nlohmann::json{{"hour", 3}}));
}

// A bank in Shenzhen writes "night" in its own time: the rule set's zone, or a rule's own.
TEST(TimeZoneTest, TimeOfDayRulesAndTxHourReadTheirZone) {
  RiskEngine engine{rules(R"yaml(
time_zone: Asia/Shanghai
rules:
  - {id: night, kind: time_of_day, severity: medium, from: "00:00", to: "05:00"}
  - {id: night-utc, kind: time_of_day, severity: low, from: "00:00", to: "05:00",
     time_zone: UTC}
  - {id: hour-two, kind: threshold, severity: low, when: "tx.hour == 2 and tx.minute == 0"}
  - {id: six-pm-london, kind: threshold, severity: low, when: "tx.hour == 18",
     time_zone: Europe/London}
)yaml")};
  // 18:00 UTC is 02:00 in Shanghai (UTC+8, no daylight saving): the night rule fires; in
  // London (GMT in November) it is 18:00, for the rule in that zone.
  EXPECT_EQ(fired(engine, with_amount(tx("a", midnight_ms + 18 * hour_ms), 1)),
            (Ids{"hour-two", "night", "six-pm-london"}));
  // 02:00 UTC is 10:00 in Shanghai: only the rule kept in UTC fires.
  EXPECT_EQ(fired(engine, with_amount(tx("b", midnight_ms + 2 * hour_ms), 1)), Ids{"night-utc"});
}

// New York's 01:30 is 05:30 UTC in summer (EDT, UTC-4) and 06:30 UTC in winter (EST, UTC-5):
// the database's daylight saving time, not a fixed offset.
TEST(TimeZoneTest, DaylightSavingTimeComesFromTheDatabase) {
  RiskEngine engine{rules(R"yaml(
time_zone: America/New_York
rules:
  - {id: half-past-one, kind: threshold, severity: low, when: "tx.hour == 1 and tx.minute == 30"}
)yaml")};
  const std::int64_t july_1_2026 = 1'782'864'000'000;     // 2026-07-01T00:00:00Z
  const std::int64_t january_1_2026 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  EXPECT_EQ(fired(engine, with_amount(tx("s", july_1_2026 + 5 * hour_ms + 30 * minute_ms), 1)),
            Ids{"half-past-one"});
  EXPECT_EQ(fired(engine, with_amount(tx("s2", july_1_2026 + 6 * hour_ms + 30 * minute_ms), 1)),
            none);
  EXPECT_EQ(fired(engine, with_amount(tx("w", january_1_2026 + 6 * hour_ms + 30 * minute_ms), 1)),
            Ids{"half-past-one"});
}

TEST(TimeZoneTest, AnUnknownZoneIsRefusedNamingItAndTheRule) {
  auto bad_rule = load_rules(R"yaml(
rules:
  - {id: night, kind: time_of_day, severity: low, from: "00:00", to: "05:00",
     time_zone: Asia/Shenzen}
)yaml");
  ASSERT_FALSE(bad_rule.ok());
  EXPECT_THAT(bad_rule.error().message,
              ::testing::HasSubstr(
                  "rule #1 'night', field 'time_zone': unknown time zone \"Asia/Shenzen\""));
  auto bad_set = load_rules("time_zone: Mars/Olympus\nrules: []\n");
  ASSERT_FALSE(bad_set.ok());
  EXPECT_THAT(bad_set.error().message,
              ::testing::HasSubstr("time_zone: unknown time zone \"Mars/Olympus\""));
}

class ImpossibleTravelRuleTest : public ::testing::Test {
 protected:
  RiskEngine engine{rules(R"yaml(
rules:
  - {id: travel, kind: impossible_travel, severity: high, key: card, max_speed_kmh: 900}
)yaml")};
  const std::int64_t t0 = midnight_ms + 12 * hour_ms;
};

TEST_F(ImpossibleTravelRuleTest, FiresWhenTheSpeedIsTooHigh) {
  EXPECT_EQ(fired(engine, at(tx("t1", t0), paris)), none);  // nothing before it
  const Alert alert = only(engine.evaluate(at(tx("t2", t0 + hour_ms), new_york)));
  EXPECT_EQ(alert.evidence["from_city"], "Paris");
  EXPECT_EQ(alert.evidence["to_city"], "New York");
  EXPECT_NEAR(alert.evidence["km"].get<double>(), 5837, 5);
  EXPECT_NEAR(alert.evidence["kmh"].get<double>(), 5837, 5);
  EXPECT_EQ(alert.evidence["minutes"].get<double>(), 60.0);
}

TEST_F(ImpossibleTravelRuleTest, PossibleSpeedDoesNotFire) {
  EXPECT_EQ(fired(engine, at(tx("t1", t0), paris)), none);
  // 5837 km in 6.5 h is about 898 km/h: a flight.
  EXPECT_EQ(fired(engine, at(tx("t2", t0 + 6 * hour_ms + 30 * minute_ms), new_york)), none);
}

TEST_F(ImpossibleTravelRuleTest, ComparesWithTheLatestTransactionBefore) {
  EXPECT_EQ(fired(engine, at(tx("t1", t0), new_york)), none);
  EXPECT_EQ(fired(engine, at(tx("t2", t0 + 10 * hour_ms), paris)), none);
  // Berlin 878 km from Paris in 30 min: too fast; from New York 10.5 h earlier it would not be.
  const Alert alert =
      only(engine.evaluate(at(tx("t3", t0 + 10 * hour_ms + 30 * minute_ms), berlin)));
  EXPECT_EQ(alert.evidence["from_city"], "Paris");
}

TEST_F(ImpossibleTravelRuleTest, SameInstantFiresOnlyBeyondOneKilometre) {
  EXPECT_EQ(fired(engine, at(tx("t1", t0), paris)), none);
  events::Transaction near = at(tx("t2", t0), paris);
  near.lat += 0.005;  // about 560 m north
  EXPECT_EQ(fired(engine, near), none);
  const Alert alert = only(engine.evaluate(at(tx("t3", t0), berlin)));
  EXPECT_TRUE(alert.evidence["kmh"].is_null());
  EXPECT_EQ(alert.evidence["minutes"].get<double>(), 0.0);
}

TEST_F(ImpossibleTravelRuleTest, TransactionsWithoutLocationAreNotTravel) {
  EXPECT_EQ(fired(engine, at(tx("t1", t0), paris)), none);
  events::Transaction nowhere = tx("t2", t0 + minute_ms);
  nowhere.lat = 0;
  nowhere.lon = 0;
  EXPECT_EQ(fired(engine, nowhere), none);
}

TEST(ListRuleTest, FiresWhenTheFieldIsListed) {
  RiskEngine engine(rules(R"yaml(
lists:
  bad-devices: [dev-blk-1, dev-blk-2]
  mules: [acct-mule-1]
rules:
  - {id: device, kind: list, severity: critical, field: device, list: bad-devices}
  - {id: payee, kind: list, severity: critical, field: merchant, list: mules}
)yaml"));
  events::Transaction t = tx("t1");
  EXPECT_EQ(fired(engine, t), none);  // no device
  t.id = "t2";
  t.device = "dev-ok";
  EXPECT_EQ(fired(engine, t), none);
  t.id = "t3";
  t.device = "dev-blk-2";
  const Alert alert = only(engine.evaluate(t));
  EXPECT_EQ(alert.evidence, (nlohmann::json{{"list", "bad-devices"}, {"value", "dev-blk-2"}}));
  t.id = "t4";
  t.device.clear();
  t.counterparty = "acct-mule-1";
  EXPECT_EQ(fired(engine, t), Ids{"payee"});
}

class FirstTimePayeeRuleTest : public ::testing::Test {
 protected:
  RiskEngine engine{rules(R"yaml(
rules:
  - {id: new-payee, kind: first_time_payee, severity: medium, when: "tx.amount >= 3000"}
)yaml")};
  events::Transaction pay(const std::string& id, std::int64_t minutes, const std::string& payee,
                          std::int64_t amount_minor = 300'000) {
    events::Transaction t = with_amount(tx(id, midnight_ms + minutes * minute_ms), amount_minor);
    t.counterparty = payee;
    return t;
  }
};

TEST_F(FirstTimePayeeRuleTest, FiresOnTheFirstPaymentToAPayee) {
  const Alert alert = only(engine.evaluate(pay("t1", 0, "acct-x")));
  EXPECT_EQ(alert.evidence, (nlohmann::json{{"counterparty", "acct-x"}}));
  EXPECT_EQ(fired(engine, pay("t2", 1, "acct-x")), none);
  EXPECT_EQ(fired(engine, pay("t3", 2, "acct-y")), Ids{"new-payee"});
}

TEST_F(FirstTimePayeeRuleTest, AnEarlierSmallPaymentMakesThePayeeKnown) {
  EXPECT_EQ(fired(engine, pay("t1", 0, "acct-x", 100)), none);  // the condition does not hold
  EXPECT_EQ(fired(engine, pay("t2", 1, "acct-x")), none);       // not the first any more
}

TEST_F(FirstTimePayeeRuleTest, PayeesArePerAccount) {
  EXPECT_EQ(fired(engine, pay("t1", 0, "acct-x")), Ids{"new-payee"});
  events::Transaction other = pay("t2", 1, "acct-x");
  other.account = "acct-2";
  EXPECT_EQ(fired(engine, other), Ids{"new-payee"});
}

TEST_F(FirstTimePayeeRuleTest, ALateEarlierPaymentIsTheFirst) {
  EXPECT_EQ(fired(engine, pay("t2", 10, "acct-x")), Ids{"new-payee"});
  // Arrives later but happened earlier: it is the first; t2 was not, but has been evaluated.
  EXPECT_EQ(fired(engine, pay("t1", 5, "acct-x")), Ids{"new-payee"});
  EXPECT_EQ(fired(engine, pay("t3", 20, "acct-x")), none);
  EXPECT_EQ(fired(engine, pay("t2", 10, "acct-x")), none);  // a replay now knows t1 came first
}

TEST(InMemoryHistoryTest, PayeesPerAccountAreBoundedLeastRecentlySeenFirst) {
  InMemoryHistory history(InMemoryHistoryOptions{.max_payees_per_account = 2});
  auto pay = [](const std::string& id, std::int64_t ts, const std::string& payee) {
    events::Transaction t = tx(id, ts);
    t.counterparty = payee;
    return t;
  };
  EXPECT_TRUE(history.record(pay("t1", 1, "a"), 0).new_payee);
  EXPECT_TRUE(history.record(pay("t2", 2, "b"), 0).new_payee);
  EXPECT_FALSE(history.record(pay("t3", 3, "a"), 0).new_payee);  // a seen at 3, b at 2
  EXPECT_TRUE(history.record(pay("t4", 4, "c"), 0).new_payee);   // forgets b
  EXPECT_EQ(history.payee_count(), 2u);
  EXPECT_FALSE(history.record(pay("t5", 5, "a"), 0).new_payee);
  EXPECT_TRUE(history.record(pay("t6", 6, "b"), 0).new_payee);  // forgotten: new again
}

TEST(InMemoryHistoryTest, KeepsOnlyTheRetentionBeforeTheNewest) {
  InMemoryHistory history;
  const std::int64_t t0 = midnight_ms;
  history.record(tx("t1", t0), hour_ms);
  history.record(tx("t2", t0 + 30 * minute_ms), hour_ms);
  history.record(tx("t3", t0 + hour_ms), hour_ms);  // t1 is now exactly one hour old: dropped
  EXPECT_EQ(history.entry_count(KeyField::card, "card-1"), 2u);
  EXPECT_EQ(history.entry_count(KeyField::account, "acct-1"), 2u);
  EXPECT_EQ(history.entry_count(KeyField::card, "card-9"), 0u);
  const WindowTotals all =
      history.totals(KeyField::card, "card-1", t0 - hour_ms, t0 + 2 * hour_ms, "z");
  EXPECT_EQ(all.count, 2);
  EXPECT_EQ(all.sum_minor, 2000);
  EXPECT_EQ(history.latest_before(KeyField::card, "card-1", t0 + hour_ms, "t3")->id, "t2");
  EXPECT_EQ(history.latest_before(KeyField::card, "card-1", t0 + 30 * minute_ms, "t2"), nullptr);
}

TEST(InMemoryHistoryTest, LateTransactionsKeepTheWindowSumsRight) {
  InMemoryHistory history;
  const std::int64_t t0 = midnight_ms;
  for (int i : {5, 1, 4, 2, 3}) {  // arrive out of order; amount i EUR at t0 + i minutes
    history.record(with_amount(tx("t" + std::to_string(i), t0 + i * minute_ms), i * 100), hour_ms);
  }
  history.record(with_amount(tx("t3", t0 + 3 * minute_ms), 300), hour_ms);  // a replay
  // (t0 + 1 min, t0 + 4 min] before t4: t2 and t3.
  const WindowTotals window =
      history.totals(KeyField::account, "acct-1", t0 + minute_ms, t0 + 4 * minute_ms, "t4");
  EXPECT_EQ(window.count, 2);
  EXPECT_EQ(window.sum_minor, 500);
  const WindowTotals all = history.totals(KeyField::account, "acct-1", t0, t0 + hour_ms, "t9");
  EXPECT_EQ(all.count, 5);
  EXPECT_EQ(all.sum_minor, 1500);
}

TEST(InMemoryHistoryTest, LateTransactionBeforeAllKeptEntriesAddsUp) {
  // 75 one-minute-apart entries with a 10 min retention: the dropped ones are compacted away at
  // the 75th, then a late one lands in front of every kept entry.
  InMemoryHistory history;
  const std::int64_t t0 = midnight_ms;
  for (int i = 0; i < 75; ++i) {
    history.record(with_amount(tx("t" + std::to_string(100 + i), t0 + i * minute_ms), 100),
                   10 * minute_ms);
  }
  history.record(with_amount(tx("late", t0 + 64 * minute_ms + 30 * second_ms), 5000),
                 10 * minute_ms);
  const WindowTotals kept = history.totals(KeyField::card, "card-1", t0, t0 + hour_ms * 2, "z");
  EXPECT_EQ(kept.count, 11);  // minutes 65..74 and the late one
  EXPECT_EQ(kept.sum_minor, 10 * 100 + 5000);
}

TEST(InMemoryHistoryTest, TotalsMatchACountOverEveryEntry) {
  // Mostly in order, some late, some replayed, with pruning and compaction: the running sums
  // must give what summing the kept entries one by one gives.
  struct Kept {
    std::int64_t ts;
    std::string id;
    std::int64_t amount;
  };
  InMemoryHistory history;
  std::vector<Kept> model;
  const std::int64_t retention = 10 * minute_ms;
  std::int64_t newest = INT64_MIN;
  std::uint64_t seed = 12345;
  auto next = [&seed](std::uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::int64_t>((seed >> 33) % n);
  };
  std::int64_t clock = midnight_ms;
  for (int i = 0; i < 3000; ++i) {
    clock += next(60'000);  // sparse: the oldest kept entry is often well after the horizon
    const std::int64_t ts = clock - (next(5) == 0 ? next(retention) : 0);
    const std::string id = next(20) == 0 && !model.empty()
                               ? model[static_cast<std::size_t>(next(model.size()))].id
                               : "t" + std::to_string(i);
    const auto same =
        std::find_if(model.begin(), model.end(), [&](const Kept& k) { return k.id == id; });
    const std::int64_t at = same != model.end() ? same->ts : ts;  // a replay keeps its time
    const std::int64_t amount = same != model.end() ? same->amount : 1 + next(1000);
    history.record(with_amount(tx(id, at), amount), retention);
    newest = std::max(newest, at);
    const std::int64_t horizon = newest - retention;
    if (at > horizon && same == model.end()) model.push_back({at, id, amount});
    std::erase_if(model, [horizon](const Kept& k) { return k.ts <= horizon; });

    const std::int64_t query_ts = newest - next(retention);
    const std::int64_t after = query_ts - 1 - next(retention);
    const std::string query_id = "t" + std::to_string(next(3000));
    WindowTotals expected;
    for (const Kept& k : model) {
      if (k.ts > after && before(k.ts, k.id, query_ts, query_id)) {
        ++expected.count;
        expected.sum_minor += k.amount;
      }
    }
    const WindowTotals got = history.totals(KeyField::card, "card-1", after, query_ts, query_id);
    ASSERT_EQ(got.count, expected.count) << "after record " << i;
    ASSERT_EQ(got.sum_minor, expected.sum_minor) << "after record " << i;
  }
  EXPECT_EQ(history.entry_count(KeyField::card, "card-1"), model.size());
}

TEST(InMemoryHistoryTest, QuietKeysAreDroppedButPayeesStay) {
  InMemoryHistory history;
  const std::int64_t t0 = midnight_ms;
  auto quiet = [t0](int i) {
    events::Transaction t = tx("old-" + std::to_string(i), t0);
    t.card = "card-old-" + std::to_string(i);
    t.account = "acct-old-" + std::to_string(i);
    if (i % 2 == 1) t.counterparty.clear();  // half of them never paid anyone
    return t;
  };
  for (int i = 0; i < 100; ++i) history.record(quiet(i), hour_ms);
  EXPECT_EQ(history.key_count(), 200u);
  // A day later, enough traffic on one card for a sweep: the quiet keys go, except accounts
  // that have payees to remember.
  for (int i = 0; i < 5000; ++i) {
    history.record(tx("new-" + std::to_string(i), t0 + 24 * hour_ms + i), hour_ms);
  }
  EXPECT_EQ(history.key_count(), 1u + 1u + 50u);  // card-1, acct-1, the 50 with a payee
  EXPECT_EQ(history.entry_count(KeyField::account, "acct-old-0"), 0u);
  events::Transaction again = quiet(0);
  again.id = "old-0-again";
  again.ts_ms = t0 + 25 * hour_ms;
  EXPECT_FALSE(history.record(again, hour_ms).new_payee);
}

}  // namespace
}  // namespace gale::risk
