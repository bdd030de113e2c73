// Exactly-once state on a whole local cluster (ZooKeeper, Nimbus, two supervisors, worker
// processes), reading from gale-kafka-dev, checkpointing into a real Redis: while messages are
// still being produced, a worker is killed with SIGKILL again and again; each time every worker
// goes back to the last checkpoint (a new assignment epoch), and in the end the last checkpoint
// counts every message exactly once — none missing, none twice. Figures come from the
// checkpoints in Redis, never from logs.
#include <gmock/gmock.h>

#include <csignal>
#include <map>
#include <random>
#include <thread>

#include "gale/state.h"
#include "gale/state/backend.h"
#include "gale/state/savepoint.h"
#include "gale/testing/cluster_fixture.h"
#include "gale/testing/kafka_dev_broker.h"
#include "gale/testing/kafka_test_support.h"
#include "gale/testing/redis_server.h"

namespace gale::testing {
namespace {

using ::testing::HasSubstr;

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
    auto backend = state::make_backend(conf, true);
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

  // Submits the counting topology as `name` (Kafka group `name`, from the earliest offsets,
  // checkpoints every 300 ms in this Redis), with `extra` arguments after (a later -c wins).
  CommandResult submit_counting(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"submit", kTopology,
                                  "--name", name,
                                  "-c",     "topology.workers=2",
                                  "-c",     "redis.host=127.0.0.1",
                                  "-c",     "redis.port=" + std::to_string(redis_->port()),
                                  "-c",     "topology.state.checkpoint.interval.ms=300",
                                  "-c",     "kafka.bootstrap.servers=" + broker_->bootstrap(),
                                  "-c",     "kafka.topics=words",
                                  "-c",     "kafka.group.id=" + name,
                                  "-c",     "kafka.first.poll.offset.strategy=earliest"};
    args.insert(args.end(), extra.begin(), extra.end());
    return gale(args);
  }

  std::unique_ptr<KafkaDevBroker> broker_;
  std::unique_ptr<RedisServer> redis_;
  std::shared_ptr<state::StateBackend> backend_;
};

TEST_F(StateCluster, EveryMessageCountedOnceWhileWorkersAreKilledMidStream) {
  auto r = submit_counting(
      "counting", {"-c", "topology.state.backend=redis", "-c", "topology.message.timeout.secs=20"});
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
  // The checkpoint history, from the backend through Nimbus's API.
  auto history = gale({"checkpoints", "counting", "-n", "5"});
  ASSERT_EQ(history.exit_code, 0) << history.output;
  EXPECT_THAT(history.output, HasSubstr("triggered"));
  EXPECT_EQ(std::count(history.output.begin(), history.output.end(), '\n'), 6) << history.output;
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

// How a bank upgrades a stateful topology: a savepoint of the running one, kill it, submit the
// new version from the savepoint. The new topology starts with the old one's state and its
// spout's offsets: what was read before is counted once, what came after is counted once.
TEST_F(StateCluster, ANewVersionStartsFromASavepointWithEveryMessageCountedOnce) {
  auto submit = [&](const std::string& name, const std::string& start,
                    std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"-c", "kafka.first.poll.offset.strategy=" + start});
    return submit_counting(name, std::move(extra));
  };
  // Checkpoints in memory would die with each worker: refused at submit.
  auto r = submit("in-memory", "earliest", {"-c", "topology.state.backend=memory"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("is 'memory': on the cluster, checkpoints need a store"));
  r = submit("counting", "earliest", {});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string id = topology_id("counting");
  constexpr int kBefore = 500, kAfter = 700;
  kafka::testing::produce(broker_->bootstrap(), "words", kPartitions, 0, kBefore);
  ASSERT_TRUE(eventually([&] { return counted(id).seen.size() == kPartitions * kBefore; }, 60s))
      << counted(id).seen.size() << "; logs in " << dir / "logs";

  r = gale({"savepoint", "counting", "before-upgrade"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("savepoint 'before-upgrade' of topology 'counting'"));
  r = gale({"savepoint", "counting", "before-upgrade"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("a savepoint named 'before-upgrade' exists"));
  // The topology lists the savepoints taken of it (what the console shows), once.
  auto listed = state->topology(id);
  ASSERT_TRUE(listed.ok() && listed->has_value());
  ASSERT_EQ((*listed)->savepoints.size(), 1u);
  EXPECT_EQ((*listed)->savepoints[0].name, "before-upgrade");
  EXPECT_EQ((*listed)->savepoints[0].taken_by, "admin");
  EXPECT_GT((*listed)->savepoints[0].checkpoint, 0u);
  EXPECT_THAT(gale({"status", "counting"}).output,
              HasSubstr("savepoint before-upgrade of checkpoint "));
  r = gale({"kill", "counting", "-w", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(eventually([&] { return worker_pids(id).empty(); }, 60s));
  // Its checkpoints went with it; the savepoint stays.
  EXPECT_TRUE(eventually(
      [&] {
        auto done = backend_->completed(id);
        auto parts = backend_->parts(id);
        return done.ok() && done->empty() && parts.ok() && parts->empty();
      },
      30s));
  auto kept = state::find_savepoint(*backend_, "before-upgrade");
  ASSERT_TRUE(kept.ok()) << kept.error().message;

  // Messages arrive while no version runs.
  kafka::testing::produce(broker_->bootstrap(), "words", kPartitions, kBefore, kAfter);
  r = submit("counting-v2", "latest", {"--from-savepoint", "no-such-savepoint"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("no savepoint named 'no-such-savepoint'"));
  // Starting at the latest offsets: without the savepoint's offsets it would skip what came
  // meanwhile, and without its state it would not have the first messages.
  r = submit("counting-v2", "latest", {"--from-savepoint", "before-upgrade"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string v2 = topology_id("counting-v2");
  Counted last;
  ASSERT_TRUE(eventually(
      [&] {
        last = counted(v2);
        return !last.error.empty() || last.seen.size() >= kPartitions * kAfter;
      },
      90s))
      << last.seen.size() << " of " << kPartitions * kAfter << "; logs in " << dir / "logs";
  ASSERT_TRUE(last.error.empty()) << last.error;
  std::this_thread::sleep_for(1s);  // a value counted twice would show in the next checkpoint
  last = counted(v2);
  std::size_t twice = 0;
  for (const auto& [value, n] : last.seen) twice += n != 1;
  EXPECT_EQ(last.seen.size(), static_cast<std::size_t>(kPartitions * kAfter));
  EXPECT_EQ(twice, 0u) << "values counted more than once";
  EXPECT_EQ(last.seen.count("words-p0-0"), 1u) << "the state before the savepoint";
  EXPECT_EQ(last.seen.count("words-p2-" + std::to_string(kAfter - 1)), 1u);
}

// Rescaling with state: the count bolt's 4 tasks (its key groups) go from 2 executors to 3 and
// then to 1 while messages arrive; each task takes its own state along, so nothing is lost or
// counted twice.
TEST_F(StateCluster, RebalancingAStatefulBoltTwoToThreeToOneLosesAndRepeatsNothing) {
  auto r = submit_counting("rescaled", {"-c", "topology.message.timeout.secs=20"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string id = topology_id("rescaled");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2; })) << "workers did not start";
  // Executors of the count bolt (tasks 1-4) in the current assignment.
  auto count_executors = [&] {
    auto a = state->assignment(id);
    int n = 0;
    if (a.ok() && *a)
      for (const auto& e : (*a)->executors) n += e.first_task >= 1 && e.last_task <= 4;
    return n;
  };
  ASSERT_EQ(count_executors(), 2);

  constexpr int kRounds = 24, kPerRound = 100;  // about ten seconds of messages
  std::thread producer([&] {
    for (int round = 0; round < kRounds; ++round) {
      kafka::testing::produce(broker_->bootstrap(), "words", kPartitions, round * kPerRound,
                              (round + 1) * kPerRound);
      std::this_thread::sleep_for(400ms);
    }
  });
  ASSERT_TRUE(eventually([&] { return counted(id).checkpoint > 0; }, 60s));
  r = gale({"rebalance", "rescaled", "-e", "count=3", "-w", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(eventually([&] { return count_executors() == 3; }, 30s));
  std::this_thread::sleep_for(2s);
  r = gale({"rebalance", "rescaled", "-e", "count=1", "-w", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(eventually([&] { return count_executors() == 1; }, 30s));
  producer.join();

  const std::size_t expected = static_cast<std::size_t>(kPartitions) * kRounds * kPerRound;
  Counted last;
  ASSERT_TRUE(eventually(
      [&] {
        last = counted(id);
        return !last.error.empty() || last.seen.size() >= expected;
      },
      120s))
      << last.seen.size() << " of " << expected << "; logs in " << dir / "logs";
  ASSERT_TRUE(last.error.empty()) << last.error;
  std::this_thread::sleep_for(1s);  // a value counted twice would show in the next checkpoint
  last = counted(id);
  std::size_t twice = 0;
  for (const auto& [value, n] : last.seen) twice += n != 1;
  EXPECT_EQ(last.seen.size(), expected);
  EXPECT_EQ(twice, 0u) << "values counted more than once";
}

}  // namespace
}  // namespace gale::testing
