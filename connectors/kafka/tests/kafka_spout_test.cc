// KafkaSpout in a running topology (LocalCluster) against librdkafka's mock cluster: every
// message arrives, replays, commits that never pass an unacked message, restart, partitions
// moving between spouts, start strategies, and the cap on uncommitted messages.
#include "gale/kafka/kafka_spout.h"

#include <gtest/gtest.h>

#include <set>

#include "gale/kafka/mock_cluster.h"
#include "gale/runtime/local_cluster.h"
#include "gale/testing/kafka_test_support.h"

namespace gale::kafka::testing {
namespace {

constexpr int kPartitions = 3;

// A topology of one KafkaSpout (parallelism 1) and a ProbeBolt, started on construction and
// stopped on destruction.
struct SpoutRun {
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  std::shared_ptr<KafkaSpoutStats> stats = std::make_shared<KafkaSpoutStats>();
  std::unique_ptr<runtime::LocalCluster> cluster;

  SpoutRun(const std::string& name, const KafkaSpoutConfig& config,
           ProbeBolt::Behaviour behaviour = {},
           RecordTranslator translator = RecordTranslator::standard()) {
    TopologyBuilder b;
    b.set_spout("kafka", [config, translator, stats = stats]() -> std::unique_ptr<Spout> {
      return std::make_unique<KafkaSpout>(config, translator, stats);
    });
    b.set_bolt("probe",
               [probe = probe, behaviour]() -> std::unique_ptr<Bolt> {
                 return std::make_unique<ProbeBolt>(probe, behaviour);
               })
        .shuffle_grouping("kafka")
        .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
    cluster = std::make_unique<runtime::LocalCluster>(name, b.build(), topology_config());
    cluster->start();
  }
  ~SpoutRun() { stop(); }
  void stop() { cluster->stop(); }

  bool saw_all(int from, int to) {
    for (int p = 0; p < kPartitions; ++p)
      for (int o = from; o < to; ++o)
        if (!probe->saw(p, o)) return false;
    return true;
  }
  // Saw the values produce() made for i in [from, to) on every partition.
  bool saw_values(int from, int to) {
    return probe->with([&] {
      std::set<std::string> values(probe->values.begin(), probe->values.end());
      for (int p = 0; p < kPartitions; ++p)
        for (int i = from; i < to; ++i)
          if (!values.contains("orders-p" + std::to_string(p) + "-" + std::to_string(i)))
            return false;
      return true;
    });
  }
  std::size_t assigned() const { return stats->assigned().size(); }
  // The spout's gauge `name` of each partition (docs/METRICS.md), -1 where there is none.
  std::map<std::int32_t, std::int64_t> gauge(const std::string& name) const {
    std::map<std::int32_t, std::int64_t> out;
    for (int p = 0; p < kPartitions; ++p) out[p] = -1;
    runtime::TopologyStats s = cluster->stats();
    for (const auto& series : s.find("kafka")->metrics)
      if (series.name == name)
        for (const auto& [k, v] : series.labels)
          if (k == "partition") out[std::stoi(v)] = static_cast<std::int64_t>(series.value);
    return out;
  }
};

std::map<std::int32_t, std::int64_t> each(std::int64_t offset) {
  std::map<std::int32_t, std::int64_t> m;
  for (int p = 0; p < kPartitions; ++p) m[p] = offset;
  return m;
}

std::map<TopicPartition, std::int64_t> each_of(const std::string& topic, std::int64_t offset) {
  std::map<TopicPartition, std::int64_t> m;
  for (int p = 0; p < kPartitions; ++p) m[{topic, p}] = offset;
  return m;
}

class KafkaSpoutTest : public ::testing::Test {
 protected:
  void SetUp() override { cluster_.create_topic(topic_, kPartitions); }

  bool group_committed(const std::string& group, std::int64_t offset) {
    return committed_offsets(bootstrap(), group, topic_, kPartitions) == each(offset);
  }
  const std::string& bootstrap() const { return cluster_.bootstrap_servers(); }

  MockCluster cluster_{1};
  std::string topic_ = "orders";
};

TEST_F(KafkaSpoutTest, EveryMessageArrivesOnceAndTheGroupCommitsToTheEnd) {
  produce(bootstrap(), topic_, kPartitions, 0, 50);
  SpoutRun run("all", spout_config(cluster_, {topic_}, "all"));

  ASSERT_TRUE(eventually([&] { return run.probe->distinct_seen() == 150; }))
      << "seen " << run.probe->distinct_seen();
  ASSERT_TRUE(eventually([&] { return group_committed("all", 50); }));
  EXPECT_EQ(run.stats->emitted, 150);
  EXPECT_EQ(run.stats->acked, 150);
  EXPECT_EQ(run.stats->failed, 0);
  // The broker can hold the group's commit before the spout's commit callback has run (it runs
  // on the spout's next poll): wait for the spout's own record too.
  EXPECT_TRUE(eventually([&] { return run.stats->committed() == each_of(topic_, 50); }))
      << "the spout recorded commits on " << run.stats->committed().size() << " partitions";
  run.probe->with([&] {
    for (const auto& [at, times] : run.probe->seen)
      EXPECT_EQ(times, 1) << at.first << "/" << at.second;
    return 0;
  });
}

// Two topologies side by side (the mock delays each group's first join by 3 s): one whose
// bolt fails each tuple once, with unlimited retries; one whose bolt fails every tuple, with
// two retries, and whose translator cannot read offset 3.
TEST_F(KafkaSpoutTest, FailedTuplesAreReplayedUntilAckedOrGivenUpAfterMaxRetries) {
  produce(bootstrap(), topic_, kPartitions, 0, 20);
  SpoutRun replayed("replayed", spout_config(cluster_, {topic_}, "replayed"),
                    ProbeBolt::failing(1));
  KafkaSpoutConfig limited = spout_config(cluster_, {topic_}, "limited");
  limited.retry.max_retries = 2;
  RecordTranslator picky = RecordTranslator::standard();
  picky.translate = [standard = picky.translate](const KafkaRecord& r) {
    if (r.offset == 3) throw std::runtime_error("unreadable");
    return standard(r);
  };
  SpoutRun given_up("given-up", limited, ProbeBolt::failing(1000), picky);

  ASSERT_TRUE(eventually([&] { return replayed.stats->acked == 60; })) << replayed.stats->acked;
  ASSERT_TRUE(eventually([&] { return group_committed("replayed", 20); }));
  EXPECT_EQ(replayed.stats->failed, 60);
  EXPECT_EQ(replayed.stats->replayed, 60);
  EXPECT_EQ(replayed.stats->emitted, 60) << "replays are not new emits";
  EXPECT_EQ(replayed.stats->dropped, 0);
  replayed.probe->with([&] {
    for (const auto& [at, times] : replayed.probe->seen)
      EXPECT_EQ(times, 2) << at.first << "/" << at.second;
    // A replay carries the message as first emitted.
    for (const std::string& v : replayed.probe->values) EXPECT_EQ(v.rfind("orders-p", 0), 0u) << v;
    return 0;
  });

  // Given up: 19 messages a partition after 1 + 2 tries each, and offset 3 skipped.
  ASSERT_TRUE(eventually([&] { return given_up.stats->dropped == 60; })) << given_up.stats->dropped;
  ASSERT_TRUE(eventually([&] { return group_committed("limited", 20); }))
      << "given-up messages must not hold the commit back";
  EXPECT_EQ(given_up.stats->acked, 0);
  EXPECT_EQ(given_up.stats->failed, 57 * 3);
  given_up.probe->with([&] {
    EXPECT_EQ(given_up.probe->seen.size(), 57u);
    for (const auto& [at, times] : given_up.probe->seen)
      EXPECT_EQ(times, 3) << at.first << "/" << at.second;
    return 0;
  });
}

TEST_F(KafkaSpoutTest, CommittedOffsetNeverPassesAHeldMessage) {
  produce(bootstrap(), topic_, kPartitions, 0, 30);
  SpoutRun run("held", spout_config(cluster_, {topic_}, "held"),
               ProbeBolt::holding([](std::int32_t, std::int64_t offset) { return offset == 10; }));

  // Everything but offset 10 of each partition is acked; the commit must stop at 10.
  ASSERT_TRUE(eventually([&] { return run.stats->acked == 87; })) << run.stats->acked;
  ASSERT_TRUE(eventually([&] { return run.stats->committed() == each_of(topic_, 10); }));
  EXPECT_EQ(committed_offsets(bootstrap(), "held", topic_, kPartitions), each(10));
  // Each partition's lag is what the commit is behind the end.
  EXPECT_TRUE(eventually([&] { return run.gauge("kafka_lag") == each(20); }))
      << "lag " << ::testing::PrintToString(run.gauge("kafka_lag"));
  EXPECT_EQ(run.gauge("kafka_committed_offset"), each(10));
  EXPECT_EQ(run.gauge("kafka_end_offset"), each(30));

  run.probe->with([&] { return run.probe->release = true; });
  ASSERT_TRUE(eventually([&] { return group_committed("held", 30); }));
  EXPECT_EQ(run.stats->acked, 90);
  EXPECT_TRUE(eventually([&] { return run.gauge("kafka_lag") == each(0); }))
      << "lag " << ::testing::PrintToString(run.gauge("kafka_lag"));
}

TEST_F(KafkaSpoutTest, ARestartedTopologyResumesFromTheCommittedOffset) {
  produce(bootstrap(), topic_, kPartitions, 0, 100);
  {
    // Stopped mid-stream: offsets from 50 on are in flight (held) when it stops.
    SpoutRun first(
        "first", spout_config(cluster_, {topic_}, "restart"),
        ProbeBolt::holding([](std::int32_t, std::int64_t offset) { return offset >= 50; }));
    ASSERT_TRUE(eventually([&] { return group_committed("restart", 50); }));
    ASSERT_TRUE(
        eventually([&] { return first.probe->with([&] { return first.probe->held; }) > 0; }));
  }
  EXPECT_EQ(committed_offsets(bootstrap(), "restart", topic_, kPartitions), each(50))
      << "closing committed past the messages still held";

  SpoutRun second("second", spout_config(cluster_, {topic_}, "restart"));
  ASSERT_TRUE(eventually([&] { return second.saw_all(50, 100); }));
  for (int p = 0; p < kPartitions; ++p)
    EXPECT_EQ(second.probe->first_offset(p), 50) << "partition " << p << " did not resume at 50";
  ASSERT_TRUE(eventually([&] { return group_committed("restart", 100); }));
}

TEST_F(KafkaSpoutTest, PartitionsMoveBetweenSpoutsAndNothingIsLost) {
  KafkaSpoutConfig config = spout_config(cluster_, {topic_}, "moving");
  SpoutRun a("a", config, ProbeBolt::holding([](std::int32_t, std::int64_t) { return true; }));
  ASSERT_TRUE(eventually([&] { return a.assigned() == 3; }));
  produce(bootstrap(), topic_, kPartitions, 0, 10);
  ASSERT_TRUE(eventually([&] { return a.probe->with([&] { return a.probe->held; }) == 30; }));

  // B joins: the group takes every partition from A (eager rebalance) and splits them. A's
  // held tuples now belong to an earlier assignment.
  auto b = std::make_unique<SpoutRun>(
      "b", config, ProbeBolt::holding([](std::int32_t, std::int64_t o) { return o >= 15; }));
  ASSERT_TRUE(eventually(
      [&] { return a.assigned() > 0 && b->assigned() > 0 && a.assigned() + b->assigned() == 3; }));
  a.probe->with([&] { return a.probe->release = true; });
  ASSERT_TRUE(eventually([&] { return a.stats->stale > 0; }))
      << "acks of the revoked assignment were not recognised as stale";

  // More messages; B holds its share from offset 15 on and stops with them in flight.
  produce(bootstrap(), topic_, kPartitions, 10, 20);
  ASSERT_TRUE(eventually([&] { return b->probe->with([&] { return b->probe->held; }) > 0; }));
  std::shared_ptr<Probe> b_probe = b->probe;
  b.reset();

  ASSERT_TRUE(eventually([&] { return a.assigned() == 3; }));
  auto acked_by_either = [&] {
    for (int p = 0; p < kPartitions; ++p) {
      for (int o = 0; o < 20; ++o) {
        bool b_acked = o < 15 && b_probe->saw(p, o);  // B held from 15 on and never acked those
        if (!b_acked && !a.probe->saw(p, o)) return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(eventually(acked_by_either)) << "A did not take over B's unacked messages";
  ASSERT_TRUE(eventually([&] { return group_committed("moving", 20); }));
}

TEST_F(KafkaSpoutTest, StartStrategiesEarliestLatestAndCommitted) {
  produce(bootstrap(), topic_, kPartitions, 0, 10);
  commit_offsets(bootstrap(), "g-earliest", topic_, kPartitions, 5);
  commit_offsets(bootstrap(), "g-committed", topic_, kPartitions, 5);
  auto with_start = [&](const std::string& group, StartStrategy s) {
    KafkaSpoutConfig c = spout_config(cluster_, {topic_}, group);
    c.start = s;
    return c;
  };
  // Four groups at once: the mock delays each group's first join by 3 s.
  SpoutRun earliest("earliest", with_start("g-earliest", StartStrategy::earliest));
  SpoutRun latest("latest", with_start("g-latest", StartStrategy::latest));
  SpoutRun committed("committed", with_start("g-committed", StartStrategy::committed));
  SpoutRun fresh("fresh", with_start("g-fresh", StartStrategy::committed));

  ASSERT_TRUE(eventually([&] { return earliest.saw_all(0, 10); })) << "earliest ignores commits";
  ASSERT_TRUE(eventually([&] { return fresh.saw_all(0, 10); }))
      << "committed without a commit falls back to earliest";
  ASSERT_TRUE(eventually([&] { return committed.saw_all(5, 10); }));
  for (int p = 0; p < kPartitions; ++p) EXPECT_EQ(committed.probe->first_offset(p), 5);

  // latest starts at the end once its position is known; markers tell when it is.
  ASSERT_TRUE(eventually([&] { return latest.assigned() == 3; }));
  auto on_every_partition = [&] {
    for (int p = 0; p < kPartitions; ++p)
      if (latest.probe->first_offset(p) < 0) return false;
    return true;
  };
  for (int round = 0; round < 50 && !on_every_partition(); ++round) {
    for (int p = 0; p < kPartitions; ++p) produce_one(bootstrap(), topic_, p, "marker");
    eventually(on_every_partition, 200ms);
  }
  ASSERT_TRUE(on_every_partition());
  produce(bootstrap(), topic_, kPartitions, 100, 110);
  ASSERT_TRUE(eventually([&] { return latest.saw_values(100, 110); }));
  for (int p = 0; p < kPartitions; ++p) {
    for (int o = 0; o < 10; ++o)
      EXPECT_FALSE(latest.probe->saw(p, o)) << "latest read old message " << p << "/" << o;
  }
}

TEST_F(KafkaSpoutTest, TheCapPausesAPartitionUntilAcksCatchUp) {
  produce(bootstrap(), topic_, kPartitions, 0, 20);
  KafkaSpoutConfig config = spout_config(cluster_, {topic_}, "capped");
  config.max_uncommitted_per_partition = 5;
  // A translator of the topology's own: just the fields the probe reads.
  RecordTranslator translator{{"partition", "offset", "value"}, [](const KafkaRecord& r) {
                                return Values{r.partition, r.offset, std::string(*r.value)};
                              }};
  SpoutRun run("capped", config,
               ProbeBolt::holding([](std::int32_t, std::int64_t) { return true; }), translator);

  ASSERT_TRUE(eventually([&] { return run.probe->with([&] { return run.probe->held; }) == 15; }));
  // Nothing more may come while all fifteen are held; give it a moment to misbehave.
  eventually([&] { return run.stats->emitted > 15; }, 300ms);
  EXPECT_EQ(run.stats->emitted, 15);
  EXPECT_EQ(run.stats->max_uncommitted, 5);
  EXPECT_GE(run.stats->pauses, 3);

  run.probe->with([&] { return run.probe->release = true; });
  ASSERT_TRUE(eventually([&] { return run.saw_all(0, 20); }));
  ASSERT_TRUE(eventually([&] { return group_committed("capped", 20); }));
  EXPECT_EQ(run.stats->emitted, 60);
  EXPECT_EQ(run.stats->max_uncommitted, 5);
}

// librdkafka keeps a partition's pause across a revoke and a re-assign to the same consumer: a
// partition the cap paused, taken away by a rebalance and given back, must still be read once
// the acks catch up (sms-notify's spout stalled for good after repeated worker kills).
TEST_F(KafkaSpoutTest, APausedPartitionGivenBackByARebalanceIsReadAgain) {
  produce(bootstrap(), topic_, kPartitions, 0, 20);
  KafkaSpoutConfig config = spout_config(cluster_, {topic_}, "paused-moving");
  config.max_uncommitted_per_partition = 5;
  SpoutRun a("a", config, ProbeBolt::holding([](std::int32_t, std::int64_t) { return true; }));
  ASSERT_TRUE(eventually([&] { return a.probe->with([&] { return a.probe->held; }) == 15; }));
  ASSERT_GE(a.stats->pauses, 3);  // every partition is paused at the cap

  // B joins and leaves: every partition is revoked from A and, in the end, given back to it.
  auto b = std::make_unique<SpoutRun>("b", config);
  ASSERT_TRUE(eventually([&] { return b->assigned() > 0; }));
  b.reset();
  ASSERT_TRUE(eventually([&] { return a.assigned() == 3; }));

  a.probe->with([&] { return a.probe->release = true; });
  ASSERT_TRUE(eventually([&] { return group_committed("paused-moving", 20); }))
      << "a partition paused before the rebalance was never read again";
}

}  // namespace
}  // namespace gale::kafka::testing
