// Exactly-once state on a whole local cluster (ZooKeeper, Nimbus, two supervisors, worker
// processes), reading from gale-kafka-dev, checkpointing into a real Redis: while messages are
// still being produced, a worker is killed with SIGKILL again and again; each time every worker
// goes back to the last checkpoint (a new assignment epoch), and in the end the last checkpoint
// counts every message exactly once — none missing, none twice. Figures come from the
// checkpoints in Redis, never from logs.
#include <csignal>
#include <map>
#include <random>
#include <thread>

#include "gale/state.h"
#include "gale/state/backend.h"
#include "gale/testing/cluster_fixture.h"
#include "gale/testing/kafka_dev_broker.h"
#include "gale/testing/kafka_test_support.h"
#include "gale/testing/redis_server.h"

namespace gale::testing {
namespace {

const std::string kTopology = std::string(GALE_TOPOLOGY_DIR) + "/test_stateful_count.so";
constexpr int kPartitions = 3;

class StateCluster : public Cluster {
 protected:
  void SetUp() override {
    Cluster::SetUp();
    if (HasFatalFailure()) return;
    broker_ = std::make_unique<KafkaDevBroker>(
        kBin, dir / "logs", std::vector<std::string>{"words:" + std::to_string(kPartitions)});
    redis_ = std::make_unique<RedisServer>();
    Config conf;
    ASSERT_EQ(conf.set(conf::kTopologyStateBackend, "redis").status, ConfigResult::Status::ok);
    ASSERT_EQ(conf.set("redis.port", redis_->port()).status, ConfigResult::Status::ok);
    auto backend = state::make_backend(conf);
    ASSERT_TRUE(backend.ok()) << backend.error().message;
    backend_ = *backend;
  }
  void TearDown() override {
    Cluster::TearDown();
    broker_.reset();
    redis_.reset();
  }

  // Every value's count in the newest complete checkpoint of `id`, over the count tasks.
  struct Counted {
    CheckpointId checkpoint = 0;
    std::map<std::string, std::int64_t> seen;
    std::string error;
  };
  Counted counted(const std::string& id) {
    Counted out;
    auto done = backend_->completed(id);
    if (!done.ok() || done->empty()) return out;
    out.checkpoint = done->back().id;
    for (int task = 1; task <= 4; ++task) {  // "count" sorts before "words"
      auto r = state::restore_task(*backend_, id, out.checkpoint, task, "count");
      if (!r.ok()) {
        out.error = r.error().message;
        return out;
      }
      for (const auto& [k, v] : r->states["seen"].entries)
        out.seen[detail::decode_one<std::string>(k, "value")] +=
            detail::decode_one<std::int64_t>(v, "count");
    }
    return out;
  }

  std::unique_ptr<KafkaDevBroker> broker_;
  std::unique_ptr<RedisServer> redis_;
  std::shared_ptr<state::StateBackend> backend_;
};

TEST_F(StateCluster, EveryMessageCountedOnceWhileWorkersAreKilledMidStream) {
  auto r = gale({"submit", kTopology,
                 "--name", "counting",
                 "-c",     "topology.workers=2",
                 "-c",     "topology.state.backend=redis",
                 "-c",     "redis.port=" + std::to_string(redis_->port()),
                 "-c",     "topology.state.checkpoint.interval.ms=300",
                 "-c",     "topology.message.timeout.secs=20",
                 "-c",     "kafka.bootstrap.servers=" + broker_->bootstrap(),
                 "-c",     "kafka.topics=words",
                 "-c",     "kafka.group.id=counting",
                 "-c",     "kafka.start=earliest"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string id = topology_id("counting");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2; })) << "workers did not start";
  auto epoch = [&] {
    auto a = state->assignment(id);
    return a.ok() && *a ? (*a)->epoch : 0;
  };
  const std::uint64_t first_epoch = epoch();

  // Twelve seconds of messages, 100 per partition every 400 ms; a worker dies every three.
  constexpr int kRounds = 30, kPerRound = 100;
  std::thread producer([&] {
    for (int round = 0; round < kRounds; ++round) {
      kafka::testing::produce(broker_->bootstrap(), "words", kPartitions, round * kPerRound,
                              (round + 1) * kPerRound);
      std::this_thread::sleep_for(400ms);
    }
  });
  ASSERT_TRUE(eventually([&] { return counted(id).checkpoint > 0; }, 60s))
      << "no checkpoint completed; logs in " << dir / "logs";
  std::mt19937 random(11);
  for (int kill = 0; kill < 3; ++kill) {
    std::this_thread::sleep_for(3s);
    auto pids = worker_pids(id);
    ASSERT_FALSE(pids.empty());
    ::kill(pids[std::uniform_int_distribution<std::size_t>(0, pids.size() - 1)(random)], SIGKILL);
  }
  producer.join();
  EXPECT_GE(epoch(), first_epoch + 1) << "no recovery: a new epoch after the kills";

  const std::size_t expected = static_cast<std::size_t>(kPartitions) * kRounds * kPerRound;
  Counted last;
  bool done = eventually(
      [&] {
        last = counted(id);
        return !last.error.empty() || last.seen.size() >= expected;
      },
      120s);
  ASSERT_TRUE(last.error.empty()) << last.error;
  // gale status shows the checkpoints (from the coordinator's worker's heartbeat).
  ASSERT_TRUE(eventually([&] {
    return gale({"status", "counting"}).output.find("checkpoints: last #") != std::string::npos;
  })) << gale({"status", "counting"}).output;
  ASSERT_TRUE(done) << last.seen.size() << " of " << expected << " values counted by checkpoint "
                    << last.checkpoint << "; logs in " << dir / "logs";
  std::size_t twice = 0;
  for (const auto& [value, n] : last.seen) twice += n != 1;
  EXPECT_EQ(last.seen.size(), expected);
  EXPECT_EQ(twice, 0u) << "values counted more than once";
  for (int p = 0; p < kPartitions; ++p)
    for (int i = 0; i < kRounds * kPerRound; i += 997)
      EXPECT_EQ(last.seen.count("words-p" + std::to_string(p) + "-" + std::to_string(i)), 1u);
}

}  // namespace
}  // namespace gale::testing
