// Tick tuples arrive at the configured frequency, per component.
#include <gtest/gtest.h>

#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

TEST(TickTest, TicksArriveAtTheConfiguredFrequencyOfManualTime) {
  auto probe = std::make_shared<Probe>();
  auto clock = std::make_shared<ManualClock>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 0));
  b.set_bolt("ticked", bolt_of<RecordingBolt>(probe))
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 2);
  b.set_bolt("unticked", bolt_of<RecordingBolt>(probe), 2).shuffle_grouping("spout");
  runtime::LocalCluster cluster("ticks", b.build(), test_config(), clock);
  cluster.start();
  auto ticks = [&] { return probe->with([&] { return probe->ticks; }); };

  clock->advance(1s);
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(ticks(), 0);
  clock->advance(1s);
  ASSERT_TRUE(eventually([&] { return ticks() == 1; }));
  clock->advance(3s);  // t = 5: one more at t = 4
  ASSERT_TRUE(eventually([&] { return ticks() == 2; }));
  clock->advance(5s);  // t = 10: ticks at 6, 8, 10
  ASSERT_TRUE(eventually([&] { return ticks() == 5; }));
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(ticks(), 5) << "the component without tick config got ticks, or extra ticks came";
}

TEST(TickTest, MillisecondTicksArriveAtTheirPeriodAndOverrideTheSecondsKey) {
  auto probe = std::make_shared<Probe>();
  auto clock = std::make_shared<ManualClock>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 0));
  b.set_bolt("ticked", bolt_of<RecordingBolt>(probe))
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 5)
      .add_configuration(conf::kTopologyTickTupleFreqMs, 250);
  runtime::LocalCluster cluster("ticks", b.build(), test_config(), clock);
  cluster.start();
  auto ticks = [&] { return probe->with([&] { return probe->ticks; }); };

  clock->advance(200ms);
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(ticks(), 0);
  clock->advance(50ms);  // t = 250 ms
  ASSERT_TRUE(eventually([&] { return ticks() == 1; }));
  clock->advance(750ms);  // t = 1 s: ticks at 500, 750, 1000 ms
  ASSERT_TRUE(eventually([&] { return ticks() == 4; }));
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(ticks(), 4) << "the seconds key, not the milliseconds key, set the period";
}

TEST(TickTest, TickTupleIsMarkedAndCarriesItsFrequency) {
  struct TickProbe : Bolt {
    std::shared_ptr<Probe> probe;
    explicit TickProbe(std::shared_ptr<Probe> p) : probe(std::move(p)) {}
    void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
    void execute(const Tuple& t) override {
      probe->with([&] {
        probe->received[0].push_back(
            {t.is_tick(), t.source_component(), t.source_stream(), t.get("rate_secs")});
      });
    }
  };
  auto probe = std::make_shared<Probe>();
  auto clock = std::make_shared<ManualClock>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 0));
  b.set_bolt("ticked", bolt_of<TickProbe>(probe))
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 3);
  runtime::LocalCluster cluster("tick-shape", b.build(), test_config(), clock);
  cluster.start();
  clock->advance(3s);
  ASSERT_TRUE(
      eventually([&] { return probe->with([&] { return probe->received[0].size(); }) == 1; }));
  auto v = probe->with([&] { return probe->received[0][0]; });
  EXPECT_EQ(v, (Values{true, "__system", "__tick", 3}));
}

}  // namespace
}  // namespace gale::testing
