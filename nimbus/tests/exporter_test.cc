// /metrics's families (exporter.h), and the Grafana dashboard that queries them.
#include "exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace gale::nimbus {
namespace {

using nlohmann::json;

json series(const std::string& name, const std::string& kind, json labels = json::object()) {
  json s{{"name", name}, {"kind", kind}, {"labels", std::move(labels)}};
  if (kind == "histogram") {
    s["bounds"] = {1};
    s["buckets"] = {0, 0};
  } else {
    s["value"] = 1;
  }
  return s;
}

// A topology whose worker reports every figure, and the finance topologies' own series.
std::vector<ObservedTopology> everything() {
  ObservedTopology t;
  t.record.id = "risk-1-1";
  t.record.name = "risk";
  t.record.status = coordination::TopologyStatus::active;
  coordination::WorkerHeartbeat beat;
  beat.host = "10.0.0.1";
  beat.port = 6700;
  json metrics = json::array({series("transactions", "counter"),
                              series("alerts", "counter", {{"rule", "r"}, {"severity", "high"}}),
                              series("dead_letters", "counter"), series("sms_sent", "counter"),
                              series("sms_failed", "counter", {{"outcome", "retry"}}),
                              series("institution_balance", "gauge", {{"institution", "i"}})});
  beat.stats = {
      {"components", {{"rules", {{"kind", "bolt"}, {"metrics", metrics}}}}},
      {"checkpoints",
       {{"abandoned", 1},
        {"recent",
         json::array({{{"id", 3}, {"duration_ms", 5}, {"bytes", 9}, {"triggered_ms", 1}}})}}}};
  t.beats.push_back(beat);
  return {t};
}

json cluster() {
  return {{"leader", "n1"},
          {"supervisors",
           json::array({{{"id", "s1"}, {"host", "h"}, {"slots", {6700}}, {"used", {6700}}}})}};
}

std::set<std::string> families(const std::string& text) {
  std::set<std::string> out;
  std::regex type(R"(# TYPE (\S+) (\S+)\n)");
  for (std::sregex_iterator it(text.begin(), text.end(), type), end; it != end; ++it) {
    out.insert((*it)[1]);
    if ((*it)[2] == "histogram")
      for (const char* suffix : {"_bucket", "_sum", "_count"}) out.insert((*it)[1].str() + suffix);
  }
  return out;
}

TEST(ExporterTest, EveryFamilyHasAHelpAndATypeAndFollowsTheNamingRules) {
  std::string text = prometheus_text(everything(), cluster(), 100);
  std::set<std::string> names = families(text);
  EXPECT_GT(names.size(), 30u) << text;
  for (const auto& name : names) {
    EXPECT_TRUE(name.starts_with("gale_")) << name;
    EXPECT_TRUE(std::regex_match(name, std::regex("[a-z_]+"))) << name;
  }
  // Counters end in _total, and nothing else does.
  std::regex type(R"(# TYPE (\S+) (\S+)\n)");
  for (std::sregex_iterator it(text.begin(), text.end(), type), end; it != end; ++it)
    EXPECT_EQ((*it)[2] == "counter", (*it)[1].str().ends_with("_total")) << (*it)[0];
  EXPECT_THAT(text, ::testing::HasSubstr(
                        "gale_checkpoint_last_duration_seconds{topology=\"risk\"} 0.005\n"));
  EXPECT_THAT(text,
              ::testing::HasSubstr("gale_supervisor_slots_used{supervisor=\"s1\",host=\"h\"} 1\n"));
}

TEST(ExporterTest, TheGrafanaDashboardQueriesOnlyFamiliesMetricsServes) {
  std::ifstream in(std::string(GALE_SOURCE_DIR) + "/metrics/grafana/gale.json");
  ASSERT_TRUE(in) << "metrics/grafana/gale.json";
  json dashboard = json::parse(in, nullptr, false);
  ASSERT_FALSE(dashboard.is_discarded());
  std::set<std::string> served = families(prometheus_text(everything(), cluster(), 100));
  std::set<std::string> queried;
  std::regex name(R"(gale_[a-z_]+)");
  for (const auto& panel : dashboard["panels"]) {
    if (!panel.contains("targets")) continue;
    for (const auto& target : panel["targets"]) {
      std::string expr = target["expr"];
      for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it)
        queried.insert((*it)[0]);
    }
  }
  EXPECT_GT(queried.size(), 15u);
  for (const auto& q : queried) EXPECT_TRUE(served.contains(q)) << q << " is not served";
}

}  // namespace
}  // namespace gale::nimbus
