// At-least-once through the whole runtime: trees complete only when every edge is acked,
// time out exactly once, replay, and respect max.spout.pending. Time is a ManualClock. Every
// test runs twice: with queues between all executors, and with operator chaining, where each
// shuffle grouping becomes local_or_shuffle so that bolts with their input's parallelism run
// chained into it.
#include <gtest/gtest.h>

#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using runtime::LocalCluster;

// Emits each input's id to two children, anchored, then acks the input.
class BranchBolt : public Bolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void execute(const Tuple& t) override {
    std::int64_t id = t.get(0).as_int();
    out_->emit(t, {id * 10 + 1});
    out_->emit(t, {id * 10 + 2});
    out_->ack(t);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  OutputCollector* out_ = nullptr;
};

struct Fixture : ::testing::TestWithParam<bool> {
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();

  bool chaining() const { return GetParam(); }
  Topology build(TopologyBuilder& b) const {
    Topology t = b.build();
    for (auto& c : t.components)
      for (auto& in : c.inputs)
        if (chaining() && in.grouping.kind == Grouping::Kind::shuffle)
          in.grouping.kind = Grouping::Kind::local_or_shuffle;
    return t;
  }
  Config config() const {
    Config c = test_config();
    c.set(conf::kTopologyChaining, chaining());
    return c;
  }

  void tick() { clock->advance(1s); }
  // Releases `id` in the holding bolts and lets them act on it (they re-check on ticks).
  void release(std::int64_t id) {
    probe->with([&] { return probe->release.insert(id); });
    tick();
  }
};

TEST_P(Fixture, BranchingTreeCompletesOnlyWhenEveryLeafIsAcked) {
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 1));
  b.set_bolt("branch", bolt_of<BranchBolt>()).shuffle_grouping("spout");
  b.set_bolt("leaf", bolt_of<HoldingBolt>(probe), 2)
      .shuffle_grouping("branch")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  LocalCluster cluster("branching", build(b), config(), clock);
  cluster.start();

  ASSERT_TRUE(eventually([&] { return probe->held_count() == 2; }));
  release(1);  // first child acked: the tree still misses the second
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(probe->acked_count(), 0);

  release(2);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 1; }));
  EXPECT_EQ(probe->failed_count(), 0);
  EXPECT_EQ(cluster.stats().find("spout")->acked, 1u);
}

// Joins pairs: holds the first input, then emits one tuple anchored to both inputs.
class PairJoinBolt : public Bolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void execute(const Tuple& t) override {
    if (!first_) {
      first_ = t;
      return;
    }
    const Tuple* anchors[] = {&*first_, &t};
    out_->emit(std::span<const Tuple* const>(anchors), {std::int64_t{100}});
    out_->ack(*first_);
    out_->ack(t);
    first_.reset();
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  OutputCollector* out_ = nullptr;
  std::optional<Tuple> first_;
};

TEST_P(Fixture, MultiAnchoredTupleHoldsBothTreesOpen) {
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 2));
  b.set_bolt("join", bolt_of<PairJoinBolt>()).global_grouping("spout");
  b.set_bolt("leaf", bolt_of<HoldingBolt>(probe))
      .shuffle_grouping("join")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  LocalCluster cluster("multi-anchor", build(b), config(), clock);
  cluster.start();

  ASSERT_TRUE(eventually([&] { return probe->held_count() == 1; }));
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(probe->acked_count(), 0) << "both inputs were acked, but the joined tuple was not";

  release(100);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 2; }));
  EXPECT_EQ(probe->with([&] { return probe->acked; }), (std::map<MessageId, int>{{0, 1}, {1, 1}}));
}

// Subscribed to its own stream: counts an id down to 0, each step anchored to the last; at 0
// it holds the tuple until released.
class CountdownBolt : public Bolt {
 public:
  explicit CountdownBolt(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void execute(const Tuple& t) override {
    if (!t.is_tick()) {
      std::int64_t n = t.get(0).as_int();
      if (n > 0) {
        out_->emit(t, {n - 1});
        out_->ack(t);
        return;
      }
      finished_.push_back(t);
      probe_->with([&] { probe_->held.emplace_back(0, 0); });
    }
    if (probe_->with([&] { return probe_->release_all; })) {
      for (const auto& f : finished_) out_->ack(f);
      finished_.clear();
    }
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  std::shared_ptr<Probe> probe_;
  OutputCollector* out_ = nullptr;
  std::vector<Tuple> finished_;
};

TEST_P(Fixture, BoltAnchoringToItselfCompletesAfterTheLastStep) {
  TopologyBuilder b;
  // Spout ids 0..5, each counted down to 0 by the bolt feeding itself: 6 trees, each held at
  // its final step.
  b.set_spout("spout", spout_of<CountingSpout>(probe, 6));
  b.set_bolt("countdown", bolt_of<CountdownBolt>(probe))
      .shuffle_grouping("spout")
      .shuffle_grouping("countdown")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  LocalCluster cluster("self-loop", build(b), config(), clock);
  cluster.start();

  ASSERT_TRUE(eventually([&] { return probe->held_count() == 6; }));
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(probe->acked_count(), 0);
  auto stats = cluster.stats();
  // 0+1+2+3+4+5 countdown steps were emitted by the bolt to itself.
  EXPECT_EQ(stats.find("countdown")->emitted, 15u);

  probe->with([&] { return probe->release_all = true; });
  tick();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 6; }));
  EXPECT_EQ(probe->failed_count(), 0);
}

TEST_P(Fixture, UnackedTupleFailsOnceAtTimeoutAndItsReplayCompletes) {
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 1));
  b.set_bolt("leaf", bolt_of<HoldingBolt>(probe))
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  Config conf = config();
  conf.set(conf::kTopologyMessageTimeoutSecs, 30);
  LocalCluster cluster("timeout", build(b), conf, clock);
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->held_count() == 1; }));

  clock->advance(29s);  // before the timeout: nothing happens
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(probe->failed_count(), 0);

  // Past 1.34 x the timeout the tree has expired for sure: the spout fails it and replays it.
  clock->advance(12s);
  ASSERT_TRUE(eventually([&] { return probe->failed_count() == 1; }));
  ASSERT_TRUE(eventually([&] { return probe->held_count() == 2; }));

  // Releasing both: the replay completes; the first emission's late ack must not count, its
  // tree was already failed. No second fail either.
  probe->with([&] { return probe->release_all = true; });
  tick();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 1; }));
  clock->advance(60s);
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(probe->failed_count(), 1);
  EXPECT_EQ(probe->acked_count(), 1);
}

TEST_P(Fixture, FailedTupleIsReplayedAndCompletes) {
  class FailFirstBolt : public Bolt {
   public:
    void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
    void execute(const Tuple& t) override {
      if (seen_.insert(t.get(0).as_int()).second) {
        out_->fail(t);
      } else {
        out_->ack(t);
      }
    }

   private:
    OutputCollector* out_ = nullptr;
    std::set<std::int64_t> seen_;
  };
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 100));
  b.set_bolt("flaky", [] { return std::make_unique<FailFirstBolt>(); }).shuffle_grouping("spout");
  LocalCluster cluster("replay", build(b), config(), clock);
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 100; }));
  EXPECT_EQ(probe->failed_count(), 100);
  probe->with([&] {
    for (auto& [id, n] : probe->acked) EXPECT_EQ(n, 1) << "id " << id;
  });
}

TEST_P(Fixture, MaxSpoutPendingCapsTuplesInFlight) {
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 1000)).set_max_spout_pending(10);
  b.set_bolt("leaf", bolt_of<HoldingBolt>(probe), 2)
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  LocalCluster cluster("pending", build(b), config(), clock);
  cluster.start();

  ASSERT_TRUE(eventually([&] { return probe->held_count() == 10; }));
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(probe->held_count(), 10u) << "the spout went past max.spout.pending";
  EXPECT_EQ(cluster.stats().find("spout")->emitted, 10u);

  probe->with([&] { return probe->release_all = true; });
  tick();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 1000; }));
  EXPECT_LE(probe->with([&] { return probe->max_in_flight; }), 10);
}

TEST_P(Fixture, WithoutAckersTrackedTuplesAreAckedAtOnce) {
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 50));
  b.set_bolt("leaf", bolt_of<HoldingBolt>(probe)).shuffle_grouping("spout");
  Config conf = config();
  conf.set(conf::kTopologyAckerExecutors, 0);
  LocalCluster cluster("no-ackers", build(b), conf, clock);
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 50; }));
  EXPECT_EQ(probe->failed_count(), 0);
  EXPECT_EQ(cluster.stats().find("__acker"), nullptr);
}

TEST_P(Fixture, DrainWaitsForEveryTreeThenStatisticsAddUp) {
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 5000), 2);
  b.set_bolt("branch", bolt_of<BranchBolt>(), 2).shuffle_grouping("spout");
  b.set_bolt("sink", bolt_of<RecordingBolt>(probe), 3).shuffle_grouping("branch");
  LocalCluster cluster("drain", build(b), config(), clock);
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 10000; }));
  ASSERT_TRUE(cluster.drain(10s));
  cluster.stop();
  auto s = cluster.stats();
  EXPECT_EQ(s.find("spout")->emitted, 10000u);
  EXPECT_EQ(s.find("spout")->acked, 10000u);
  EXPECT_EQ(s.find("branch")->executed, 10000u);
  EXPECT_EQ(s.find("branch")->emitted, 20000u);
  EXPECT_EQ(s.find("sink")->executed, 20000u);
  EXPECT_EQ(s.find("sink")->acked, 20000u);
  // acker: 10000 inits + 10000 branch acks + 20000 sink acks; chained, branch's acks are
  // folded into the inits.
  EXPECT_EQ(s.find("__acker")->executed, chaining() ? 30000u : 40000u);
}

INSTANTIATE_TEST_SUITE_P(Acking, Fixture, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Chained" : "Queued"; });

}  // namespace
}  // namespace gale::testing
