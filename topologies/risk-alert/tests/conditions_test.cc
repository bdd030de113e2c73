// The Lua `when` conditions: what tx holds, runtime errors and runaway conditions are contained
// and counted, and the sandbox keeps io, os, require and friends out of reach.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <filesystem>

#include "lua_conditions.h"
#include "test_support.h"

namespace gale::risk {
namespace {

using namespace gale::risk::testing;

TEST(ConditionTest, TxHoldsEveryTransactionField) {
  RiskEngine engine(rules(R"yaml(
rules:
  - id: fields
    kind: threshold
    severity: low
    when: |
      tx.id == "t1" and tx.account == "acct-1" and tx.card == "card-1" and
      tx.customer == "cust-1" and tx.amount == 12.5 and tx.currency == "EUR" and
      tx.channel == "online" and tx.counterparty == "merchant-1" and tx.city == "Paris" and
      tx.lat == 48.8566 and tx.lon == 2.3522 and tx.device == "dev-1" and
      tx.ts == 1795489620000 and tx.hour == 3 and tx.minute == 7
)yaml"));
  events::Transaction t = with_amount(tx("t1", midnight_ms + 3 * hour_ms + 7 * minute_ms), 1250);
  t.channel = events::Channel::online;
  t.device = "dev-1";
  EXPECT_EQ(fired(engine, t), Ids{"fields"});
  EXPECT_EQ(engine.stats().rules.at("fields").condition_errors, 0u);
}

TEST(ConditionTest, RuntimeErrorIsCountedAndOtherRulesStillRun) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: broken, kind: threshold, severity: low, when: "tx.no_such_field > 1"}
  - {id: fine, kind: threshold, severity: low, when: "tx.amount > 1"}
  - {id: raises, kind: threshold, severity: low, when: "error('boom')"}
)yaml"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fired(engine, tx("t" + std::to_string(i))), Ids{"fine"});
  }
  const RiskStats stats = engine.stats();
  EXPECT_EQ(stats.transactions, 3u);
  EXPECT_EQ(stats.rules.at("broken").condition_errors, 3u);
  EXPECT_EQ(stats.rules.at("broken").alerts, 0u);
  EXPECT_EQ(stats.rules.at("raises").condition_errors, 3u);
  EXPECT_EQ(stats.rules.at("fine").condition_errors, 0u);
  EXPECT_EQ(stats.rules.at("fine").alerts, 3u);
}

TEST(ConditionTest, EndlessLoopIsAborted) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: loop, kind: threshold, severity: low, when: "(function() while true do end end)()"}
  - {id: fine, kind: threshold, severity: low, when: "tx.amount > 1"}
)yaml"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(fired(engine, tx("t1")), Ids{"fine"});
  EXPECT_EQ(fired(engine, tx("t2")), Ids{"fine"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(engine.stats().rules.at("loop").condition_errors, 2u);
}

TEST(ConditionTest, MemoryHogIsRefused) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: hog, kind: threshold, severity: low, when: "#string.rep('x', 1 << 30) > 0"}
  - {id: fine, kind: threshold, severity: low, when: "tx.amount > 1"}
)yaml"));
  EXPECT_EQ(fired(engine, tx("t1")), Ids{"fine"});
  EXPECT_EQ(engine.stats().rules.at("hog").condition_errors, 1u);
}

TEST(ConditionTest, DangerousLibrariesAreNotReachable) {
  // Each rule would fire if the name were reachable; none may.
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: os, kind: threshold, severity: low, when: "os ~= nil"}
  - {id: io, kind: threshold, severity: low, when: "io ~= nil"}
  - {id: require, kind: threshold, severity: low, when: "require ~= nil"}
  - {id: package, kind: threshold, severity: low, when: "package ~= nil"}
  - {id: load, kind: threshold, severity: low, when: "load ~= nil or loadstring ~= nil"}
  - {id: dofile, kind: threshold, severity: low, when: "dofile ~= nil or loadfile ~= nil"}
  - {id: debug, kind: threshold, severity: low, when: "debug ~= nil"}
  - {id: metatables, kind: threshold, severity: low, when: "getmetatable ~= nil or setmetatable ~= nil"}
  - {id: globals, kind: threshold, severity: low, when: "_G ~= nil or collectgarbage ~= nil"}
  - {id: random, kind: threshold, severity: low, when: "math.random ~= nil"}
  - {id: usable, kind: threshold, severity: low, when: "string.upper('a') == 'A' and math.abs(-2) == 2"}
)yaml"));
  EXPECT_EQ(fired(engine, tx("t1")), Ids{"usable"});
  for (const auto& [rule, stats] : engine.stats().rules) {
    EXPECT_EQ(stats.condition_errors, 0u) << rule;
  }
}

TEST(ConditionTest, CallingOsOrIoFailsWithoutEffect) {
  const std::filesystem::path marker =
      std::filesystem::temp_directory_path() / ("gale-risk-sandbox-" + std::to_string(getpid()));
  std::filesystem::remove(marker);
  const std::string path = marker.string();
  RiskEngine engine(
      rules("rules:\n"
            "  - {id: exec, kind: threshold, severity: low, when: \"os.execute('touch " +
            path +
            "')\"}\n"
            "  - {id: open, kind: threshold, severity: low, when: \"io.open('" +
            path +
            "', 'w')\"}\n"
            "  - {id: req, kind: threshold, severity: low, when: \"require('os')\"}\n"));
  EXPECT_TRUE(engine.evaluate(tx("t1")).empty());
  EXPECT_FALSE(std::filesystem::exists(marker));
  for (const char* rule : {"exec", "open", "req"}) {
    EXPECT_EQ(engine.stats().rules.at(rule).condition_errors, 1u) << rule;
  }
}

TEST(ConditionTest, OneConditionCannotChangeWhatAnotherSees) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: a-write-tx, kind: threshold, severity: low,
     when: "(function() tx.amount = 0 return false end)()"}
  - {id: b-write-string, kind: threshold, severity: low,
     when: "(function() string.upper = nil return false end)()"}
  - {id: c-write-global, kind: threshold, severity: low,
     when: "(function() tostring = nil return false end)()"}
  - {id: d-reader, kind: threshold, severity: low,
     when: "tx.amount == 10 and string.upper('a') == 'A' and tostring(1) == '1'"}
)yaml"));
  EXPECT_EQ(fired(engine, tx("t1")), Ids{"d-reader"});
  const RiskStats stats = engine.stats();
  EXPECT_EQ(stats.rules.at("a-write-tx").condition_errors, 1u);
  EXPECT_EQ(stats.rules.at("b-write-string").condition_errors, 1u);
  EXPECT_EQ(stats.rules.at("c-write-global").condition_errors, 1u);
}

TEST(ConditionTest, ConditionRunsOnlyWhenTheKindMatches) {
  // A velocity rule's condition filters which transactions it may fire on; the window still
  // counts every transaction of the key.
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: atm-burst, kind: velocity, severity: low, key: card, window: 60s, count: 2,
     when: "tx.channel == 'atm'"}
)yaml"));
  EXPECT_EQ(fired(engine, tx("t1", midnight_ms)), Ids{});
  events::Transaction atm = tx("t2", midnight_ms + 1);
  atm.channel = events::Channel::atm;
  EXPECT_EQ(fired(engine, atm), Ids{"atm-burst"});
}

TEST(ConditionTest, OnlyTheFieldsConditionsReadAreFilledYetAllAreThere) {
  // tx.<field> reads only that field; any other use of tx makes the engine fill every field.
  EXPECT_EQ(std::popcount(tx_fields_read("tx.amount >= 5000")), 1);
  EXPECT_EQ(tx_fields_read("tx . amount > 1 and tx.channel == 'atm'"),
            tx_fields_read("tx.amount") | tx_fields_read("tx.channel"));
  EXPECT_NE(tx_fields_read("tx.amount"), tx_fields_read("tx.channel"));
  EXPECT_EQ(tx_fields_read("ctx.amount == tx_amount"), 0u);
  EXPECT_EQ(tx_fields_read("tx.no_such_field"), 0u);
  for (const char* all : {"tx['amount'] > 1", "f(tx)", "tx .. 'x'", "(...).amount", "tx"}) {
    EXPECT_EQ(tx_fields_read(all), all_tx_fields) << all;
  }

  RiskEngine engine(rules(R"yaml(
rules:
  - {id: by-name, kind: threshold, severity: low, when: "tx.amount == 10"}
  - {id: by-index, kind: threshold, severity: low, when: "tx['device'] == 'dev-' .. tx.id"}
  - {id: passed-on, kind: threshold, severity: low,
     when: "(function(t) return t.card == 'card-1' end)(tx)"}
  - {id: vararg, kind: threshold, severity: low, when: "(...).customer == 'cust-1'"}
)yaml"));
  events::Transaction t = tx("t1");
  t.device = "dev-t1";
  EXPECT_EQ(fired(engine, t), (Ids{"by-index", "by-name", "passed-on", "vararg"}));
}

TEST(ConditionTest, ReloadedConditionsSeeTheFieldsTheyRead) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: amount, kind: threshold, severity: low, when: "tx.amount == 10"}
)yaml"));
  EXPECT_EQ(fired(engine, tx("t1")), Ids{"amount"});
  engine.replace_rules(rules(R"yaml(
rules:
  - {id: device, kind: threshold, severity: low, when: "tx.device == 'dev-2'"}
)yaml"));
  events::Transaction t = tx("t2");
  t.device = "dev-2";
  EXPECT_EQ(fired(engine, t), Ids{"device"});
}

}  // namespace
}  // namespace gale::risk
