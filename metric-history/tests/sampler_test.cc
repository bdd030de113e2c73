#include "gale/metric_history/sampler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gale/metrics/latency.h"

namespace gale::metric_history {
namespace {

using nlohmann::json;

// A worker's heartbeat stats with one bolt "rules" and one spout "tx".
json beat(double uptime, double executed, double acked, double alive_ns, double idle_ns,
          double bp_ns, double alerts, double balance, std::int64_t balance_ms = 0) {
  std::vector<std::uint64_t> buckets(metrics::kLatencyBuckets);
  buckets[7] = static_cast<std::uint64_t>(acked);  // (5, 10] ms
  json rules{{"kind", "bolt"},
             {"executors", 1},
             {"executed", executed},
             // every tuple sampled, 0.5 ms each
             {"execute_total_ns", executed * 500'000},
             {"execute_samples", executed},
             {"alive_ns", alive_ns},
             {"idle_ns", idle_ns},
             {"backpressured_ns", bp_ns},
             {"metrics", json::array({{{"name", "alerts"},
                                       {"kind", "counter"},
                                       {"labels", {{"rule", "night"}}},
                                       {"value", alerts}},
                                      {{"name", "balance"},
                                       {"kind", "gauge"},
                                       {"labels", json::object()},
                                       {"value", balance},
                                       {"combine", balance_ms ? "latest" : "sum"},
                                       {"updated_ms", balance_ms}}})}};
  json tx{{"kind", "spout"},
          {"acked", acked},
          {"complete_total_ns", acked * 8'000'000},
          {"complete_samples", acked},
          {"complete_latency_buckets", buckets}};
  return {{"uptime_secs", uptime}, {"components", {{"rules", rules}, {"tx", tx}}}};
}

double value(const std::vector<Point>& points, const std::string& component,
             const std::string& name) {
  for (const auto& p : points)
    if (p.component == component && p.name == name) return p.value;
  ADD_FAILURE() << "no point " << component << "/" << name;
  return -1;
}

bool has(const std::vector<Point>& points, const std::string& name) {
  for (const auto& p : points)
    if (p.name == name) return true;
  return false;
}

TEST(SamplerTest, FiguresAreOverEachWorkersOwnIntervalAndSummedOverWorkers) {
  Sampler sampler;
  // First sight: no interval yet.
  EXPECT_TRUE(sampler
                  .sample({{"risk",
                            {{"w1", beat(10, 1000, 500, 10e9, 5e9, 1e9, 4, 7)},
                             {"w2", beat(20, 0, 0, 0, 0, 0, 0, 3)}}}})
                  .empty());
  // w1: 10 s later, 2000 more executed (200/s), half its thread time idle, a tenth
  // backpressured. w2: 5 s later (its own clock), 500 executed (100/s).
  auto points = sampler.sample({{"risk",
                                 {{"w1", beat(20, 3000, 1500, 20e9, 10e9, 2e9, 10, 9)},
                                  {"w2", beat(25, 500, 100, 5e9, 0, 0, 1, 4)}}}});
  EXPECT_DOUBLE_EQ(value(points, "rules", "executed_per_sec"), 200 + 100);
  // Shares over the summed thread time: idle 5 s of 15 s, backpressured 1 s of 15 s.
  EXPECT_NEAR(value(points, "rules", "idle_share"), 5.0 / 15, 1e-9);
  EXPECT_NEAR(value(points, "rules", "backpressured_share"), 1.0 / 15, 1e-9);
  EXPECT_NEAR(value(points, "rules", "busy_share"), 9.0 / 15, 1e-9);
  // Counters of the topology's own become rates; gauges (sum) add up over workers.
  EXPECT_DOUBLE_EQ(value(points, "rules", "app.alerts.per_sec"), 6.0 / 10 + 1.0 / 5);
  EXPECT_DOUBLE_EQ(value(points, "rules", "app.balance"), 9 + 4);
  // Complete latency percentiles from the interval's buckets: all in (5, 10] ms.
  EXPECT_GT(value(points, "tx", "complete_latency_p50_ms"), 5);
  EXPECT_LE(value(points, "tx", "complete_latency_p99_ms"), 10);
  EXPECT_DOUBLE_EQ(value(points, "tx", "acked_per_sec"), 1000.0 / 10 + 100.0 / 5);
  // Capacity: 2000 executed x 0.5 ms over 10 s, the busiest worker.
  EXPECT_DOUBLE_EQ(value(points, "rules", "capacity"), 0.1);
}

TEST(SamplerTest, AnIntervalsLatencyIsItsOwnMeanNotADifferenceOfRunningMeans) {
  Sampler sampler;
  auto with = [](double uptime, double samples, double total_ms) {
    json stats = beat(uptime, 0, 0, 0, 0, 0, 0, 0);
    stats["components"]["tx"]["complete_samples"] = samples;
    stats["components"]["tx"]["complete_total_ns"] = total_ms * 1e6;
    return stats;
  };
  (void)sampler.sample({{"risk", {{"w1", with(10, 100'000, 500'000)}}}});  // 5 ms each
  // One more sampled tuple, of 1 ms: the interval's mean is 1 ms (the running mean moved a
  // little, and a difference of mean x count would say about 500,000 ms).
  auto points = sampler.sample({{"risk", {{"w1", with(20, 100'001, 500'001)}}}});
  EXPECT_NEAR(value(points, "tx", "complete_latency_ms"), 1.0, 1e-6);
}

TEST(SamplerTest, ARestartedRuntimeCountsFromZeroAndAnUnchangedBeatRepeatsItsInterval) {
  Sampler sampler;
  (void)sampler.sample({{"risk", {{"w1", beat(100, 10000, 0, 0, 0, 0, 0, 0)}}}});
  auto points = sampler.sample({{"risk", {{"w1", beat(110, 11000, 0, 0, 0, 0, 0, 0)}}}});
  EXPECT_DOUBLE_EQ(value(points, "rules", "executed_per_sec"), 100);
  // The same heartbeat again (the worker has not beaten since): the last interval's figures.
  points = sampler.sample({{"risk", {{"w1", beat(110, 11000, 0, 0, 0, 0, 0, 0)}}}});
  EXPECT_DOUBLE_EQ(value(points, "rules", "executed_per_sec"), 100);
  // Started again 4 s ago with 800 executed: 200/s, not a negative rate.
  points = sampler.sample({{"risk", {{"w1", beat(4, 800, 0, 0, 0, 0, 0, 0)}}}});
  EXPECT_DOUBLE_EQ(value(points, "rules", "executed_per_sec"), 200);
  // Started again and already older than the last uptime seen: its new start tells.
  json again = beat(12, 1200, 0, 0, 0, 0, 0, 0);
  again["started_ms"] = 99;
  points = sampler.sample({{"risk", {{"w1", again}}}});
  EXPECT_DOUBLE_EQ(value(points, "rules", "executed_per_sec"), 100);
  // No thread time reported: no shares rather than made-up ones.
  EXPECT_FALSE(has(points, "busy_share"));
}

TEST(SamplerTest, ALatestGaugeIsTheValueSetLastAndGoneWorkersAreForgotten) {
  Sampler sampler;
  (void)sampler.sample(
      {{"b",
        {{"w1", beat(1, 0, 0, 0, 0, 0, 0, 5, 1000)}, {"w2", beat(1, 0, 0, 0, 0, 0, 0, 6, 2000)}}}});
  auto points = sampler.sample({{"b",
                                 {{"w1", beat(2, 0, 0, 0, 0, 0, 0, 50, 4000)},
                                  {"w2", beat(2, 0, 0, 0, 0, 0, 0, 60, 3000)}}}});
  EXPECT_DOUBLE_EQ(value(points, "rules", "app.balance"), 50);
  // w2 gone, w1 goes on: only w1's figures.
  points = sampler.sample({{"b", {{"w1", beat(3, 100, 0, 0, 0, 0, 0, 50, 4000)}}}});
  EXPECT_DOUBLE_EQ(value(points, "rules", "executed_per_sec"), 100);
  // A topology gone: nothing.
  EXPECT_TRUE(sampler.sample({}).empty());
}

}  // namespace
}  // namespace gale::metric_history
