// Word count split over two real gale-worker processes talking ZeroMQ, coordinated through a
// real ZooKeeper server; the test plays Nimbus (writes the record and the assignment) and reads
// the workers' heartbeats.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gale/coordination/cluster_state.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/testing/child_process.h"
#include "gale/testing/zookeeper_server.h"
#include "inspect.h"

namespace gale::worker {
namespace {

using namespace std::chrono_literals;
namespace coord = gale::coordination;

using gale::testing::ChildProcess;
using gale::testing::free_ports;

// A gale-worker for the test's slot, as a supervisor would launch it.
std::unique_ptr<ChildProcess> start_worker(const std::string& zk, const std::string& topology_id,
                                           int port) {
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{
          GALE_WORKER_BIN, "run", "--topology-id", topology_id, "--supervisor-id",
          "test-supervisor", "--host", "127.0.0.1", "--port", std::to_string(port), "--artifact",
          std::string(GALE_TOPOLOGY_DIR) + "/word_count.so", "-c", "storm.zookeeper.servers=" + zk,
          "-c", "storm.zookeeper.root=/gale-test", "--log-level", "warn"},
      "/dev/null");
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 30s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

struct TwoProcessTest : ::testing::Test {
  coord::testing::ZooKeeperServer zk;
  std::unique_ptr<coord::ZooKeeperStore> store;
  std::unique_ptr<coord::ClusterState> state;
  const std::string id = "wc-1-1";
  std::vector<int> ports = free_ports(2);

  void SetUp() override {
    auto s = coord::ZooKeeperStore::connect({zk.connect_string(), "/gale-test"});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store = std::move(s).value();
    state = std::make_unique<coord::ClusterState>(*store);
    ASSERT_TRUE(state->init().ok());
  }

  // Writes the record and an assignment dealing executors to the two slots in turn.
  void submit(std::int64_t sentences, const std::map<std::string, std::string>& extra = {}) {
    Config conf;
    conf.set(conf::kTopologyWorkers, 2);
    conf.set("wordcount.max.sentences", std::to_string(sentences).c_str());
    for (const auto& [k, v] : extra) ASSERT_TRUE(conf.set(k, std::string_view(v))) << k;
    auto layout = inspect_topology(std::string(GALE_TOPOLOGY_DIR) + "/word_count.so", conf, {});
    ASSERT_TRUE(layout.ok());
    coord::Assignment a;
    a.topology_id = id;
    a.start_time_secs = 1000;
    int next = 0;
    for (const auto& c : layout.value()["components"]) {
      for (const auto& e : c["executors"]) {
        int port = ports[next++ % 2];
        a.executors.push_back({e[0].get<int>(), e[1].get<int>()});
        for (int t = e[0].get<int>(); t <= e[1].get<int>(); ++t)
          a.task_slots[t] = {"test-supervisor", "127.0.0.1", port};
      }
    }
    coord::TopologyRecord r;
    r.id = id;
    r.name = "wc";
    r.status = coord::TopologyStatus::active;
    r.num_workers = 2;
    for (const auto& [k, v] : conf.entries()) r.config[k] = v.to_string();
    ASSERT_TRUE(state->set_topology(r).ok());
    ASSERT_TRUE(state->set_assignment(a).ok());
  }

  // Sum of a statistic of a component over the workers' heartbeats.
  std::uint64_t total(const std::string& component, const std::string& stat) {
    auto beats = state->heartbeats(id);
    if (!beats.ok()) return 0;
    std::uint64_t sum = 0;
    for (const auto& hb : *beats) {
      auto& c = hb.stats["components"];
      if (c.contains(component)) sum += c[component][stat].get<std::uint64_t>();
    }
    return sum;
  }
};

TEST_F(TwoProcessTest, WordCountAcrossTwoWorkersAcksEverySentence) {
  submit(2000);
  auto a = start_worker(zk.connect_string(), id, ports[0]);
  auto b = start_worker(zk.connect_string(), id, ports[1]);
  // 2000 sentences = 250 rounds of the 8 built-in ones, 79 words a round.
  ASSERT_TRUE(eventually([&] { return total("sentences", "acked") == 2000; }))
      << "acked " << total("sentences", "acked");
  ASSERT_TRUE(eventually([&] { return total("count", "executed") == 19750; }))
      << "count executed " << total("count", "executed");
  EXPECT_EQ(total("sentences", "failed"), 0u);
  EXPECT_EQ(total("split", "executed"), 2000u);
  auto beats = state->heartbeats(id);
  ASSERT_TRUE(beats.ok());
  EXPECT_EQ(beats->size(), 2u);
  for (const auto& hb : *beats)
    EXPECT_GT(hb.stats["components"]["split"]["executed"].get<std::uint64_t>(), 0u)
        << "each worker runs a split executor and should have executed tuples: " << hb.port;
}

TEST_F(TwoProcessTest, WorkerExitsWhenItsSlotIsNoLongerAssigned) {
  submit(10);
  auto a = start_worker(zk.connect_string(), id, ports[0]);
  auto b = start_worker(zk.connect_string(), id, ports[1]);
  ASSERT_TRUE(eventually([&] { return total("sentences", "acked") == 10; }));
  ASSERT_TRUE(state->remove_assignment(id).ok());
  EXPECT_TRUE(eventually([&] { return !a->running() && !b->running(); }, 10s));
}

}  // namespace
}  // namespace gale::worker

namespace gale::worker {
namespace {

// The worker without the spout dies by kill -9 mid-stream and is restarted (as its supervisor
// would): the trees it held time out, the spout replays them, and every sentence is acked.
TEST_F(TwoProcessTest, KilledWorkerLosesNothing) {
  // Paced so that the kill lands mid-stream however fast the machine is (unpaced, a fast one
  // finished all 100,000 before the first heartbeat showed 5,000).
  submit(20000, {{"topology.message.timeout.secs", "2"},
                 {"topology.max.spout.pending", "200"},
                 {"wordcount.sentences.per.sec", "2000"}});
  // Executors are dealt in turn, so the spout ("sentences", the 3rd component with 1 executor
  // after count's 2 and report's 1) runs on ports[1]; kill the other worker.
  auto spout_side = start_worker(zk.connect_string(), id, ports[1]);
  auto other = start_worker(zk.connect_string(), id, ports[0]);
  ASSERT_TRUE(eventually([&] { return total("sentences", "acked") >= 3000; }));
  ASSERT_LT(total("sentences", "acked"), 20000u) << "finished before the kill: nothing to lose";
  other->stop(SIGKILL);
  other = start_worker(zk.connect_string(), id, ports[0]);
  // Acked counts distinct trees: the spout replays an id only after its tree failed, so 20000
  // acks mean every sentence was processed.
  ASSERT_TRUE(eventually([&] { return total("sentences", "acked") == 20000; }, 90s))
      << "acked " << total("sentences", "acked") << ", failed " << total("sentences", "failed");
  EXPECT_GT(total("sentences", "failed"), 0u) << "trees on the killed worker should have timed out";
}

}  // namespace
}  // namespace gale::worker
