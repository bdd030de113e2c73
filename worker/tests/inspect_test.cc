// `gale-worker inspect`, run as Nimbus runs it: a child process printing JSON or one error line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "gale/testing/child_process.h"

namespace {

struct Outcome {
  int exit_code;
  std::string out;  // stdout and stderr: the JSON on success, the one error line otherwise
};

// Runs `gale-worker inspect <args>` as Nimbus does.
Outcome inspect(const std::string& args) {
  std::vector<std::string> argv{GALE_WORKER_BIN, "inspect"};
  std::istringstream in(args);
  for (std::string a; in >> a;) argv.push_back(a);
  auto r = gale::testing::run_command(argv);
  return {r.exit_code, r.output};
}

const std::string kDir = GALE_TOPOLOGY_DIR;

TEST(InspectTest, DescribesTasksAndExecutorsOfWordCount) {
  Outcome r = inspect(kDir + "/word_count.so -c topology.workers=2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["name"], "word_count");
  // count (4 tasks), report (1), sentences (1), split (2), then two ackers (one per worker).
  EXPECT_EQ(j["tasks"], 10);
  auto& c = j["components"];
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0]["id"], "count");
  EXPECT_EQ(c[0]["tasks"], nlohmann::json({1, 2, 3, 4}));
  EXPECT_EQ(c[0]["executors"], nlohmann::json({{1, 2}, {3, 4}}));
  EXPECT_EQ(c[4]["id"], "__acker");
  EXPECT_EQ(c[4]["kind"], "acker");
  EXPECT_EQ(c[4]["executors"], nlohmann::json({{9, 9}, {10, 10}}));
  // The streams between the topology's own components, for the console's graph (the acker's
  // streams left out).
  EXPECT_EQ(c[2]["id"], "sentences");
  EXPECT_EQ(c[2]["outputs"],
            nlohmann::json::parse(R"([{"stream":"default","to":"split","grouping":"shuffle"}])"));
  EXPECT_EQ(c[3]["outputs"],
            nlohmann::json::parse(R"([{"stream":"default","to":"count","grouping":"fields"}])"));
  EXPECT_EQ(c[4]["outputs"], nlohmann::json::array());
}

TEST(InspectTest, ExecutorOverridesSplitTasksAgainWithoutRenumbering) {
  Outcome r = inspect(kDir + "/word_count.so -e count=4 -e split=1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["components"][0]["executors"], nlohmann::json({{1, 1}, {2, 2}, {3, 3}, {4, 4}}));
  EXPECT_EQ(j["components"][3]["id"], "split");
  EXPECT_EQ(j["components"][3]["executors"], nlohmann::json({{7, 8}}));
}

TEST(InspectTest, ProblemsAreOneLineAndExitOne) {
  Outcome invalid = inspect(kDir + "/test_invalid.so");
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.out.find("unknown component 'sourse'"), std::string::npos) << invalid.out;
  EXPECT_EQ(std::count(invalid.out.begin(), invalid.out.end(), '\n'), 1) << invalid.out;

  Outcome too_many = inspect(kDir + "/word_count.so -e count=5");
  EXPECT_EQ(too_many.exit_code, 1);
  EXPECT_NE(too_many.out.find("'count' has 5 executors but only 4 tasks"), std::string::npos)
      << too_many.out;

  Outcome unknown = inspect(kDir + "/word_count.so -e counter=2");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("unknown component 'counter'"), std::string::npos) << unknown.out;
}

TEST(InspectTest, BadArgumentsExitTwo) {
  EXPECT_EQ(inspect(kDir + "/word_count.so -e count").exit_code, 2);
  EXPECT_EQ(inspect(kDir + "/word_count.so -c topolgy.workers=2").exit_code, 2);
}

}  // namespace
