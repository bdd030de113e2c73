#include "gale/anomalies/detector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gale::anomalies {
namespace {

using metric_history::Point;
using ::testing::HasSubstr;

Point p(const std::string& component, const std::string& name, double value) {
  return {"risk", component, name, {}, value};
}

// No spouts but where a test is about them: an active topology whose spouts report nothing is
// itself an anomaly (no_throughput).
TopologyState risk(std::vector<TopologyState::Worker> workers = {{"h:1", "a", 0}}) {
  return {"risk", true, {}, std::move(workers)};
}

TopologyState with_spout() {
  TopologyState t = risk();
  t.spouts = {"tx"};
  return t;
}

AnomalySettings settings() {
  AnomalySettings s;
  s.no_throughput_secs = 30;
  s.capacity_secs = 20;
  s.kafka_lag_secs = 30;
  s.event_open_secs = 60;
  return s;
}

TEST(AnomalyDetectorTest, ACapacityAboveTheLimitRaisesOnlyOnceHeldLongEnoughAndClears) {
  AnomalyDetector d(settings());
  EXPECT_TRUE(d.evaluate(100, {p("rules", "capacity", 0.95)}, {risk()}).raised.empty());
  EXPECT_TRUE(d.evaluate(110, {p("rules", "capacity", 0.97)}, {risk()}).raised.empty());
  Changes c = d.evaluate(120, {p("rules", "capacity", 0.96)}, {risk()});
  ASSERT_EQ(c.raised.size(), 1u);
  const Anomaly& a = c.raised[0];
  EXPECT_EQ(a.rule, "capacity");
  EXPECT_EQ(a.component, "rules");
  EXPECT_EQ(a.figure, "capacity");
  EXPECT_EQ(a.raised_secs, 120);
  EXPECT_THAT(a.message, HasSubstr("risk/rules: capacity 0.96"));
  // Still above: not raised again.
  EXPECT_TRUE(d.evaluate(130, {p("rules", "capacity", 0.99)}, {risk()}).raised.empty());
  // No figures at all this time (a sample between heartbeats): no news, stays open.
  EXPECT_TRUE(d.evaluate(140, {}, {risk()}).cleared.empty());
  c = d.evaluate(150, {p("rules", "capacity", 0.5)}, {risk()});
  ASSERT_EQ(c.cleared.size(), 1u);
  EXPECT_EQ(c.cleared[0].cleared_secs, 150);
  // Dipping below resets the clock: 0.95 again needs its 20 s anew.
  EXPECT_TRUE(d.evaluate(160, {p("rules", "capacity", 0.95)}, {risk()}).raised.empty());
  EXPECT_TRUE(d.evaluate(170, {p("rules", "capacity", 0.5)}, {risk()}).raised.empty());
  EXPECT_TRUE(d.evaluate(180, {p("rules", "capacity", 0.95)}, {risk()}).raised.empty());
}

TEST(AnomalyDetectorTest, NoThroughputIsAboutActiveTopologiesSpouts) {
  AnomalyDetector d(settings());
  std::vector<Point> quiet{p("tx", "emitted_per_sec", 0), p("rules", "emitted_per_sec", 5)};
  EXPECT_TRUE(d.evaluate(0, quiet, {with_spout()}).raised.empty());
  Changes c = d.evaluate(30, quiet, {with_spout()});
  ASSERT_EQ(c.raised.size(), 1u);
  EXPECT_EQ(c.raised[0].rule, "no_throughput");
  EXPECT_EQ(c.raised[0].severity, "critical");
  // Deactivated on purpose: not an anomaly, and the open one clears.
  TopologyState inactive = with_spout();
  inactive.active = false;
  EXPECT_EQ(d.evaluate(40, quiet, {inactive}).cleared.size(), 1u);
  EXPECT_TRUE(d.evaluate(100, quiet, {inactive}).raised.empty());
  // The spout's worker gone, the bolts still reporting: no throughput too.
  AnomalyDetector e(settings());
  std::vector<Point> bolts_only{p("rules", "emitted_per_sec", 5)};
  EXPECT_TRUE(e.evaluate(0, bolts_only, {with_spout()}).raised.empty());
  EXPECT_EQ(e.evaluate(30, bolts_only, {with_spout()}).raised.size(), 1u);
}

TEST(AnomalyDetectorTest, FailedTuplesOverTheRateForHalfAMinuteRaise) {
  AnomalyDetector d(settings());
  EXPECT_TRUE(d.evaluate(0, {p("rules", "failed_per_sec", 0.5)}, {risk()}).raised.empty());
  EXPECT_TRUE(d.evaluate(10, {p("rules", "failed_per_sec", 4)}, {risk()}).raised.empty());
  EXPECT_TRUE(d.evaluate(20, {p("rules", "failed_per_sec", 0.9)}, {risk()}).raised.empty());
  EXPECT_TRUE(d.evaluate(30, {p("rules", "failed_per_sec", 4)}, {risk()}).raised.empty());
  Changes c = d.evaluate(60, {p("rules", "failed_per_sec", 4)}, {risk()});
  ASSERT_EQ(c.raised.size(), 1u);
  EXPECT_EQ(c.raised[0].rule, "failed_tuples");
  EXPECT_EQ(c.raised[0].value, 4);
  EXPECT_EQ(c.raised[0].threshold, 1);
}

TEST(AnomalyDetectorTest, KafkaLagThatGrowsForTheWholeWindowRaises) {
  AnomalyDetector d(settings());
  auto lag = [](double v) { return std::vector<Point>{p("tx", "app.kafka_lag", v)}; };
  for (std::int64_t t = 0; t < 30; t += 10)
    EXPECT_TRUE(d.evaluate(t, lag(100 + t), {risk()}).raised.empty());
  Changes c = d.evaluate(30, lag(200), {risk()});
  ASSERT_EQ(c.raised.size(), 1u);
  EXPECT_EQ(c.raised[0].rule, "kafka_lag_growing");
  EXPECT_THAT(c.raised[0].message, HasSubstr("from 100 to 200"));
  // It shrinks: cleared.
  // No lag figure this time: no news.
  EXPECT_TRUE(d.evaluate(40, {p("rules", "capacity", 0.1)}, {risk()}).cleared.empty());
  EXPECT_EQ(d.evaluate(50, lag(150), {risk()}).cleared.size(), 1u);
  // A gap in the samples starts the window again: 100 before a 6-minute gap and 101 after is not
  // "grew for 6 minutes".
  AnomalyDetector g(settings());
  EXPECT_TRUE(g.evaluate(0, lag(100), {risk()}).raised.empty());
  EXPECT_TRUE(g.evaluate(360, lag(101), {risk()}).raised.empty());
  EXPECT_TRUE(g.evaluate(370, lag(102), {risk()}).raised.empty());
  // A lag that goes up and down is not "growing".
  AnomalyDetector e(settings());
  for (std::int64_t t = 0; t <= 60; t += 10)
    EXPECT_TRUE(e.evaluate(t, lag(t % 20 == 0 ? 100 + t : 50), {risk()}).raised.empty()) << t;
}

TEST(AnomalyDetectorTest, AWorkerRestartAndAnAbandonedCheckpointAreEventsThatClearLater) {
  AnomalyDetector d(settings());
  EXPECT_TRUE(d.evaluate(0, {}, {risk({{"h:1", "a", 2}})}).raised.empty());  // first sight
  Changes c = d.evaluate(10, {}, {risk({{"h:1", "b", 0}})});
  ASSERT_EQ(c.raised.size(), 1u);
  EXPECT_EQ(c.raised[0].rule, "worker_restarted");
  EXPECT_EQ(c.raised[0].worker, "h:1");
  EXPECT_THAT(c.raised[0].message, HasSubstr("the worker at h:1 restarted"));
  // The restarted worker's abandoned count starts from 0: not a failed checkpoint.
  c = d.evaluate(20, {}, {risk({{"h:1", "b", 1}})});
  ASSERT_EQ(c.raised.size(), 1u);
  EXPECT_EQ(c.raised[0].rule, "checkpoint_failed");
  EXPECT_TRUE(d.evaluate(30, {}, {risk({{"h:1", "b", 1}})}).raised.empty());
  c = d.evaluate(80, {}, {risk({{"h:1", "b", 1}})});
  ASSERT_EQ(c.cleared.size(), 2u);  // both past event_open_secs (60)
}

TEST(AnomalyDetectorTest, AGoneTopologysAnomaliesClearAndRestoredOnesClearWhenTheConditionIsGone) {
  AnomalyDetector d(settings());
  Anomaly open;
  open.id = 7;
  open.rule = "capacity";
  open.topology = "risk";
  open.component = "rules";
  open.raised_secs = 5;
  d.restore({open});
  EXPECT_TRUE(d.evaluate(100, {}, {risk()}).cleared.empty());  // no figures yet
  Changes c = d.evaluate(110, {p("rules", "capacity", 0.1)}, {risk()});
  ASSERT_EQ(c.cleared.size(), 1u);
  EXPECT_EQ(c.cleared[0].id, 7);

  AnomalyDetector e(settings());
  (void)e.evaluate(0, {p("rules", "failed_per_sec", 9)}, {risk()});
  ASSERT_EQ(e.evaluate(30, {p("rules", "failed_per_sec", 9)}, {risk()}).raised.size(), 1u);
  EXPECT_EQ(e.evaluate(40, {}, {}).cleared.size(), 1u);  // killed
}

}  // namespace
}  // namespace gale::anomalies
