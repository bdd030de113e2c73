// `gale local` as a user runs it.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "gale/events/generator.h"
#include "gale/testing/child_process.h"

namespace {

using gale::testing::CommandResult;

// `gale <args>` split on spaces (no argument here contains one), as a user would type it.
CommandResult gale(const std::string& args) {
  std::vector<std::string> argv{GALE_BIN};
  std::istringstream in(args);
  for (std::string a; in >> a;) argv.push_back(a);
  return gale::testing::run_command(argv);
}

const std::string kTopologies = GALE_TOPOLOGY_DIR;

TEST(GaleLocalTest, WordCountPrintsExactCountsAndStatistics) {
  // 800 sentences = 100 rounds of the 8 built-in ones, in which "the" occurs 6 times.
  CommandResult r =
      gale("local " + kTopologies + "/word_count.so --duration 2 -c wordcount.max.sentences=800");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n  the +600\n)"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n  is +400\n)"))) << r.output;
  // The spout's row: 800 emitted, 800 transferred, 0 executed, 800 acked, 0 failed; and the
  // split bolt executed the 800 sentences.
  EXPECT_TRUE(
      std::regex_search(r.output, std::regex(R"(\nsentences +spout +1 +1 +800 +800 +0 +800 +0 )")))
      << r.output;
  EXPECT_TRUE(
      std::regex_search(r.output, std::regex(R"(\nsplit +bolt +2 +2 +\d+ +\d+ +800 +800 +0 )")))
      << r.output;
  EXPECT_EQ(r.output.find("in flight"), std::string::npos) << r.output;
}

TEST(GaleLocalTest, WordCountReadsTheConfiguredFile) {
  std::string path = ::testing::TempDir() + "/words.txt";
  std::ofstream(path) << "alpha beta\nbeta gamma\n\ngamma gamma\n";
  CommandResult r = gale(
      "local " + kTopologies +
      "/word_count.so --duration 1 -c wordcount.max.sentences=3 -c wordcount.input.file=" + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n  gamma +3\n  beta +2\n  alpha +1\n)")))
      << r.output;
}

// The generator's planted alerts in the sample stream, by rule.
std::map<std::string, int> planted_alerts() {
  gale::events::GeneratorOptions options;  // the sample's: risk.sample.* defaults
  options.seed = 42;
  options.accounts = 500;
  options.suspicious = 0.02;
  gale::events::TransactionGenerator generator(options);
  std::map<std::string, int> expected;
  for (int i = 0; i < 20000; ++i)
    for (const auto& alert : generator.next().expected_alerts) ++expected[alert.rule_id];
  return expected;
}

// The "alerts by rule" line the sample stream must give.
std::string planted_alerts_line() {
  std::string line = "alerts by rule:";
  const std::map<std::string, int> expected = planted_alerts();
  for (const auto& [rule, n] : expected) line += " " + rule + "=" + std::to_string(n);
  return line + " (dead letters: 20)";  // one corrupted copy per 1000 transactions
}

// The README's first command: risk-alert on its built-in sample data raises exactly the alerts
// the generator planted in it, rule by rule, and dead-letters the corrupted copies.
TEST(GaleLocalTest, RiskAlertDemoRaisesThePlantedAlerts) {
  const std::string line = planted_alerts_line();
  CommandResult r = gale("local " + kTopologies + "/risk_alert.so --duration 6");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(line), std::string::npos) << "expected: " << line << "\n" << r.output;
  EXPECT_TRUE(std::regex_search(
      r.output, std::regex(R"(\ntransactions +spout +1 +1 +20020 +20020 +0 +20020 +0 )")))
      << r.output;
  EXPECT_TRUE(
      std::regex_search(r.output, std::regex(R"(\nALERT critical blacklisted-device +\S+ tx-)")))
      << r.output;
  // The business figures the topology registers (docs/METRICS.md) say the same.
  EXPECT_NE(r.output.find("metric parse transactions: 20000\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("metric parse dead_letters: 20\n"), std::string::npos) << r.output;
  std::map<std::string, int> by_metric;
  std::regex alerts(R"re(metric rules alerts\{rule="([^"]+)",severity="[a-z]+"\}: (\d+)\n)re");
  for (std::sregex_iterator it(r.output.begin(), r.output.end(), alerts), end; it != end; ++it)
    by_metric[(*it)[1]] += std::stoi((*it)[2]);
  EXPECT_EQ(by_metric, planted_alerts()) << r.output;
}

// Windows that fire when a count or sum is reached depend on each account's order: more parse
// and rules tasks must not change a single alert.
TEST(GaleLocalTest, RiskAlertGivesTheSameAlertsAtAnyParallelism) {
  CommandResult r = gale("local " + kTopologies +
                         "/risk_alert.so --duration 6 -c risk.print=true"
                         " -c risk.parse.parallelism=2 -c risk.rules.parallelism=3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(planted_alerts_line()), std::string::npos) << r.output;
}

TEST(GaleLocalTest, RiskAlertRefusesABadRulesFileAtStart) {
  std::string path = ::testing::TempDir() + "/rules.yaml";
  std::ofstream(path) << "rules:\n  - id: r1\n    kind: velocity\n    window: 60s\n";
  CommandResult r =
      gale("local " + kTopologies + "/risk_alert.so --duration 1 -c risk.rules=" + path);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("r1"), std::string::npos) << r.output;
}

TEST(GaleLocalTest, TextFileGetsAClearErrorAndNonZeroExit) {
  std::string path = ::testing::TempDir() + "/notes.txt";
  std::ofstream(path) << "just some text\n";
  CommandResult r = gale("local " + path + " --duration 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("'" + path + "' is not a shared library"), std::string::npos) << r.output;
}

TEST(GaleLocalTest, LibraryWithoutEntryPointIsRefused) {
  CommandResult r = gale("local " + kTopologies + "/test_no_entry.so --duration 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("has no entry point 'gale_topology_entry'"), std::string::npos)
      << r.output;
}

TEST(GaleLocalTest, OtherApiVersionIsRefused) {
  CommandResult r = gale("local " + kTopologies + "/test_bad_version.so --duration 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("was built against topology API version 999"), std::string::npos)
      << r.output;
}

TEST(GaleLocalTest, MisspeltConfigKeyIsNamedWithSuggestion) {
  CommandResult r =
      gale("local " + kTopologies + "/word_count.so --duration 1 -c topolgy.workers=2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("topolgy.workers"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'topology.workers'"), std::string::npos) << r.output;
}

TEST(GaleLocalTest, InvalidConfigValueNamesKeyAndExpectation) {
  CommandResult r = gale("local " + kTopologies +
                         "/word_count.so --duration 1 -c topology.max.spout.pending=lots");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("topology.max.spout.pending: expected an integer"), std::string::npos)
      << r.output;
}

}  // namespace
