// Loading rules: the default file loads, and every kind of bad input is refused with an error
// that names the rule and the field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "test_support.h"

namespace gale::risk {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string load_error(const std::string& yaml) {
  const auto load = load_rules(yaml);
  EXPECT_FALSE(load) << "expected an error for:\n" << yaml;
  return load ? "" : load.error().message;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string default_rules_path = std::string(GALE_RISK_RULES_DIR) + "/default.yaml";

TEST(RulesLoadTest, DefaultRulesAreCompiledInAndLoad) {
  EXPECT_EQ(default_rules_yaml(), read_file(default_rules_path));
  const auto load = load_rules(default_rules_yaml());
  ASSERT_TRUE(load) << load.error().message;
  std::vector<std::string> ids;
  for (const Rule& rule : load.value()->rules()) ids.push_back(rule.id);
  EXPECT_EQ(ids,
            (std::vector<std::string>{"large-amount", "card-velocity", "daily-cumulative",
                                      "night-transfer", "impossible-travel", "blacklisted-device",
                                      "blacklisted-counterparty", "first-time-payee"}));
  // 24 h cumulative is the longest window.
  EXPECT_EQ(load.value()->retention_ms(), 24 * testing::hour_ms);
}

TEST(RulesLoadTest, FieldsAreParsedIntoTheRule) {
  const auto set = testing::rules(R"yaml(
lists:
  devices: [d2, d1, d1]
rules:
  - {id: v, kind: velocity, severity: low, key: account, window: 15m, count: 7}
  - {id: c, kind: cumulative, severity: high, key: card, window: 2d, limit: 1234.56}
  - {id: n, kind: time_of_day, severity: medium, from: "22:30", to: "04:15"}
  - {id: t, kind: impossible_travel, severity: critical, key: card, max_speed_kmh: 1000}
  - {id: l, kind: list, severity: critical, field: merchant, list: devices}
)yaml");
  const auto& r = set->rules();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].key, KeyField::account);
  EXPECT_EQ(r[0].window_ms, 15 * testing::minute_ms);
  EXPECT_EQ(r[0].count, 7);
  EXPECT_EQ(r[0].severity, Severity::low);
  EXPECT_EQ(r[1].window_ms, 48 * testing::hour_ms);
  EXPECT_EQ(r[1].limit_minor, 123456);
  EXPECT_EQ(r[2].from_minute, 22 * 60 + 30);
  EXPECT_EQ(r[2].to_minute, 4 * 60 + 15);
  EXPECT_EQ(r[3].max_speed_kmh, 1000);
  EXPECT_EQ(r[4].field, ListField::counterparty);
  EXPECT_EQ(set->lists()[r[4].list_index].values, (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ(set->retention_ms(), 48 * testing::hour_ms);
}

TEST(RulesLoadTest, UnknownKindNamesRuleAndField) {
  EXPECT_THAT(load_error("rules:\n  - {id: r1, kind: speed, severity: low}\n"),
              AllOf(HasSubstr("rule #1 'r1'"), HasSubstr("field 'kind'"), HasSubstr("speed")));
}

TEST(RulesLoadTest, MissingFieldNamesRuleAndField) {
  EXPECT_THAT(
      load_error("rules:\n  - {id: v1, kind: velocity, severity: low, key: card, count: 3}\n"),
      AllOf(HasSubstr("'v1'"), HasSubstr("field 'window'"), HasSubstr("missing")));
  EXPECT_THAT(load_error("rules:\n  - {id: a, kind: threshold, severity: low, when: 'true'}\n"
                         "  - {kind: threshold, severity: low, when: 'true'}\n"),
              AllOf(HasSubstr("rule #2"), HasSubstr("field 'id'"), HasSubstr("missing")));
  EXPECT_THAT(load_error("rules:\n  - {id: big, kind: threshold, severity: low}\n"),
              AllOf(HasSubstr("'big'"), HasSubstr("field 'when'"), HasSubstr("missing")));
  EXPECT_THAT(load_error("rules:\n  - {id: s, kind: list, field: device, list: x}\n"),
              AllOf(HasSubstr("'s'"), HasSubstr("field 'severity'"), HasSubstr("missing")));
}

TEST(RulesLoadTest, InvalidValuesNameRuleAndField) {
  const std::string velocity = "rules:\n  - {id: v, kind: velocity, severity: low, key: card, ";
  EXPECT_THAT(load_error(velocity + "window: 60x, count: 3}\n"),
              AllOf(HasSubstr("'v'"), HasSubstr("field 'window'"), HasSubstr("60x")));
  EXPECT_THAT(load_error(velocity + "window: 0s, count: 3}\n"), HasSubstr("field 'window'"));
  EXPECT_THAT(load_error(velocity + "window: 60s, count: 0}\n"),
              AllOf(HasSubstr("field 'count'"), HasSubstr("positive whole number")));
  EXPECT_THAT(load_error(velocity + "window: 60s, count: 2.5}\n"), HasSubstr("field 'count'"));
  EXPECT_THAT(load_error("rules:\n  - {id: v, kind: velocity, severity: low, key: phone, "
                         "window: 60s, count: 3}\n"),
              AllOf(HasSubstr("field 'key'"), HasSubstr("phone")));
  EXPECT_THAT(load_error("rules:\n  - {id: v, kind: threshold, severity: urgent, when: 'true'}\n"),
              AllOf(HasSubstr("field 'severity'"), HasSubstr("low|medium|high|critical")));
  EXPECT_THAT(load_error("rules:\n  - {id: c, kind: cumulative, severity: low, key: account, "
                         "window: 24h, limit: -5}\n"),
              AllOf(HasSubstr("'c'"), HasSubstr("field 'limit'")));
  EXPECT_THAT(load_error("rules:\n  - {id: c, kind: cumulative, severity: low, key: account, "
                         "window: 24h, limit: 10.001}\n"),
              AllOf(HasSubstr("field 'limit'"), HasSubstr("two decimals")));
  EXPECT_THAT(load_error("rules:\n  - {id: n, kind: time_of_day, severity: low, from: '24:00', "
                         "to: '05:00'}\n"),
              AllOf(HasSubstr("'n'"), HasSubstr("field 'from'"), HasSubstr("24:00")));
  EXPECT_THAT(load_error("rules:\n  - {id: n, kind: time_of_day, severity: low, from: '5:00', "
                         "to: '06:00'}\n"),
              HasSubstr("field 'from'"));
  EXPECT_THAT(load_error("rules:\n  - {id: n, kind: time_of_day, severity: low, from: '05:00', "
                         "to: '05:00'}\n"),
              AllOf(HasSubstr("field 'to'"), HasSubstr("empty")));
  EXPECT_THAT(load_error("rules:\n  - {id: t, kind: impossible_travel, severity: low, key: card, "
                         "max_speed_kmh: fast}\n"),
              AllOf(HasSubstr("'t'"), HasSubstr("field 'max_speed_kmh'")));
}

TEST(RulesLoadTest, MisspeltFieldIsRefused) {
  EXPECT_THAT(load_error("rules:\n  - {id: v, kind: velocity, severity: low, key: card, "
                         "windw: 60s, window: 60s, count: 3}\n"),
              AllOf(HasSubstr("'v'"), HasSubstr("field 'windw'"), HasSubstr("not a field")));
}

TEST(RulesLoadTest, DuplicateIdNamesTheSecondRule) {
  EXPECT_THAT(load_error("rules:\n  - {id: dup, kind: threshold, severity: low, when: 'true'}\n"
                         "  - {id: dup, kind: threshold, severity: high, when: 'true'}\n"),
              AllOf(HasSubstr("rule #2 'dup'"), HasSubstr("field 'id'"), HasSubstr("duplicate")));
}

TEST(RulesLoadTest, UnknownListNamesRuleAndField) {
  EXPECT_THAT(load_error("lists:\n  good: [a]\nrules:\n  - {id: l, kind: list, severity: high, "
                         "field: device, list: bad}\n"),
              AllOf(HasSubstr("'l'"), HasSubstr("field 'list'"), HasSubstr("bad")));
  EXPECT_THAT(load_error("lists:\n  good: [a]\nrules:\n  - {id: l, kind: list, severity: high, "
                         "field: shoe, list: good}\n"),
              AllOf(HasSubstr("'l'"), HasSubstr("field 'field'"), HasSubstr("shoe")));
}

TEST(RulesLoadTest, ConditionThatDoesNotCompileGivesLuasMessage) {
  const std::string error = load_error(
      "rules:\n  - {id: ok, kind: threshold, severity: low, when: 'tx.amount > 1'}\n"
      "  - {id: broken, kind: threshold, severity: low, when: 'tx.amount >> > 1'}\n");
  EXPECT_THAT(error, AllOf(HasSubstr("rule #2 'broken'"), HasSubstr("field 'when'"),
                           HasSubstr("does not compile"), HasSubstr("unexpected symbol")));
}

TEST(RulesLoadTest, DocumentShapeErrorsAreNamed) {
  EXPECT_THAT(load_error("rules: [\n"), HasSubstr("not valid YAML"));
  EXPECT_THAT(load_error("lists: {}\n"), HasSubstr("rules:"));
  EXPECT_THAT(load_error("rulez: []\nrules: []\n"), HasSubstr("rulez"));
  EXPECT_THAT(load_error("lists:\n  l: a\nrules: []\n"), HasSubstr("list 'l'"));
  EXPECT_THAT(load_error("rules:\n  - just-a-string\n"), HasSubstr("rule #1"));
}

TEST(RulesLoadTest, FileLoadNamesThePath) {
  const auto from_file = load_rules_file(default_rules_path);
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_EQ(from_file.value()->rules().size(), 8u);
  const auto missing = load_rules_file("/nonexistent/rules.yaml");
  EXPECT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("/nonexistent/rules.yaml"));
}

TEST(RulesLoadTest, ErrorsCarryTheirRiskErrc) {
  EXPECT_STREQ(risk_category().name(), "gale.risk");
  EXPECT_EQ(load_rules("rules: [\n").code(), RiskErrc::not_yaml);
  EXPECT_EQ(load_rules("rulez: []\nrules: []\n").code(), RiskErrc::bad_rules);
  EXPECT_EQ(load_rules("rules:\n  - {id: b, kind: threshold, severity: low, when: '>>'}\n").code(),
            RiskErrc::bad_rules);
  const auto missing = load_rules_file("/nonexistent/rules.yaml");
  EXPECT_EQ(missing.code(), RiskErrc::unreadable);
  EXPECT_EQ(missing.code().message(), "unreadable");

  // A file's error keeps the code of what was wrong inside it.
  const std::string path = ::testing::TempDir() + "/risk_errc_rules.yaml";
  std::ofstream(path) << "rules:\n  - {id: v, kind: velocity, severity: low}\n";
  const auto bad = load_rules_file(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.code(), RiskErrc::bad_rules);
  EXPECT_THAT(bad.error().message, HasSubstr(path + ": rule #1 'v'"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace gale::risk
