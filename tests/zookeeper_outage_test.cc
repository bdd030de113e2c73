// ZooKeeper outages longer than nimbus.task.timeout.secs (4 s in the fixture) restart nothing:
// while ZooKeeper is down no worker can write a heartbeat, and after it comes back Nimbus must
// give every worker a full timeout from then before it judges them, the supervisors must keep
// their workers, and the topology must lose nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gale/testing/cluster_fixture.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

const std::string kWordCount = std::string(GALE_TOPOLOGY_DIR) + "/word_count.so";

std::int64_t epoch_of(gale::coordination::ClusterState& state, const std::string& id) {
  auto a = state.assignment(id);
  return a.ok() && *a ? (*a)->epoch : -1;
}

// Three outages, each 1.5 task timeouts long, each followed by several monitor rounds (one a
// second) while the workers reconnect and write their first heartbeats: the race between the
// two that moved every executor in one of two trials has three chances to show.
TEST_F(Cluster, ZooKeeperOutagesLongerThanTheTaskTimeoutRestartNoWorkerAndLoseNothing) {
  constexpr int kSentences = 15000;
  auto r = gale({"submit", kWordCount, "--name", "wc", "-c", "topology.workers=2", "-c",
                 "wordcount.max.sentences=" + std::to_string(kSentences), "-c",
                 "wordcount.sentences.per.sec=300"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = topology_id("wc");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2 && total(id, "sentences", "acked") > 0; }));
  auto pids = worker_pids(id);
  ASSERT_EQ(pids.size(), 2u);
  std::int64_t epoch = epoch_of(*state, id);

  for (int outage = 1; outage <= 3; ++outage) {
    zk->stop();
    if (outage == 1) {
      // The CLI is answered, not left hanging: within one storm.zookeeper.operation.timeout
      // (2 s in the fixture) and a margin, with an error that names the cause.
      std::this_thread::sleep_for(1s);
      for (const auto& args : std::vector<std::vector<std::string>>{{"list"}, {"status", "wc"}}) {
        auto begin = std::chrono::steady_clock::now();
        auto during = gale(args);
        auto took = std::chrono::steady_clock::now() - begin;
        EXPECT_EQ(during.exit_code, 1) << during.output;
        EXPECT_NE(during.output.find("ZooKeeper is unreachable, try again"), std::string::npos)
            << during.output;
        EXPECT_LT(took, 5s) << "gale " << args[0] << " was left waiting";
      }
    }
    std::this_thread::sleep_for(6s);
    zk->start();
    // The workers' sessions survive (the restarted server restores them); their heartbeats
    // resume within a second or two. Give the monitor five rounds to get it wrong.
    std::this_thread::sleep_for(5s);
    ASSERT_EQ(worker_pids(id), pids) << "a worker was restarted after outage " << outage;
    ASSERT_EQ(epoch_of(*state, id), epoch) << "Nimbus reassigned after outage " << outage;
  }
  ASSERT_TRUE(eventually([&] { return total(id, "sentences", "acked") == kSentences; }, 90s))
      << "acked " << total(id, "sentences", "acked");
  EXPECT_EQ(worker_pids(id), pids);
}

}  // namespace
}  // namespace gale::testing
