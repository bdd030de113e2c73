// The cluster on several hosts: a ZooKeeper ensemble of three, Nimbus and two supervisors each
// on a host of their own (NetworkLab: network namespaces on a private bridge, 10.77.0.0/24),
// the test and its CLI on a seventh. Workers talk across hosts by their supervisor's address;
// nothing is on 127.0.0.1. Then the faults a network has: a ZooKeeper member dies, a supervisor's
// host is cut off and comes back, a worker is frozen (SIGSTOP) past the timeouts. Counts come
// from the ledger topology's acked files (a durable source): every id acked at least once.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "gale/testing/cluster_fixture.h"
#include "gale/testing/network_lab.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using coordination::testing::ZooKeeperServer;

const std::string kLedger = std::string(GALE_TOPOLOGY_DIR) + "/test_ledger.so";
const std::vector<std::string> kZooKeeperHosts{"zk1", "zk2", "zk3"};

// Each life of a ledger spout task: its first and last emit (wall-clock ms), oldest first.
std::vector<std::pair<std::int64_t, std::int64_t>> emitting_lives(const fs::path& ledger) {
  std::vector<std::pair<std::int64_t, std::int64_t>> lives;
  for (const auto& f : fs::directory_iterator(ledger)) {
    if (f.path().filename().string().rfind("emitting-", 0) != 0) continue;
    std::ifstream in(f.path());
    std::int64_t first = 0, last = 0;
    if (in >> first >> last) lives.emplace_back(first, last);
  }
  std::sort(lives.begin(), lives.end());
  return lives;
}

class MultiHost : public Cluster {
 protected:
  std::unique_ptr<NetworkLab> lab;
  std::vector<std::unique_ptr<ZooKeeperServer>> ensemble;

  void SetUp() override {
    if (!NetworkLab::supported()) GTEST_SKIP() << "needs root and ip netns";
    lab = std::make_unique<NetworkLab>(
        std::vector<std::string>{"zk1", "zk2", "zk3", "nimbus", "sup0", "sup1", "client"});
    lab->enter("client");  // this thread, its ZooKeeper client and the CLI it runs
    Cluster::SetUp();
  }
  void TearDown() override {
    if (!lab) return;
    Cluster::TearDown();
    ensemble.clear();
    lab.reset();
  }

  void start_zookeeper() override {
    std::vector<std::string> addresses;
    for (const auto& host : kZooKeeperHosts) addresses.push_back(lab->address(host));
    for (std::size_t i = 0; i < kZooKeeperHosts.size(); ++i)
      ensemble.push_back(std::make_unique<ZooKeeperServer>(
          ZooKeeperServer::Options{addresses[i], 2181, lab->on(kZooKeeperHosts[i], {}), addresses,
                                   static_cast<int>(i + 1)}));
  }
  std::string zookeeper_servers() const override {
    std::string servers;
    for (const auto& host : kZooKeeperHosts)
      servers += (servers.empty() ? "" : ",") + lab->address(host) + ":2181";
    return servers;
  }
  std::string nimbus_host() const override { return lab->address("nimbus"); }
  std::string supervisor_host(int i) const override {
    return lab->address("sup" + std::to_string(i));
  }
  std::vector<std::string> on(const std::string& role,
                              std::vector<std::string> argv) const override {
    if (role == "nimbus") return lab->on("nimbus", std::move(argv));
    return lab->on("sup" + role.substr(role.find('-') + 1), std::move(argv));
  }

  // Submits the ledger topology on two workers; returns its id once ids are being acked.
  std::string submit_ledger(int count, int rate, int message_timeout_secs) {
    fs::create_directories(dir / "ledger");
    auto r =
        gale({"submit", kLedger, "--name", "ledger", "-c", "topology.workers=2", "-c",
              "ledger.count=" + std::to_string(count), "-c", "ledger.rate=" + std::to_string(rate),
              "-c", "ledger.dir=" + (dir / "ledger").string(), "-c",
              "topology.message.timeout.secs=" + std::to_string(message_timeout_secs), "-c",
              "topology.max.spout.pending=500"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::string id = topology_id("ledger");
    EXPECT_TRUE(eventually([&] {
      return workers(id) == 2 && ledger_acked_ids(dir / "ledger").size() > 0;
    })) << "workers "
        << workers(id);
    return id;
  }

  // The supervisor host ("sup0" or "sup1") whose worker runs the ledger spout, once its
  // heartbeat shows it emitting; "" if none does within 20 s.
  std::string spout_host(const std::string& id) {
    std::string host;
    eventually(
        [&] {
          auto beats = state->heartbeats(id);
          if (!beats.ok()) return false;
          for (const auto& hb : *beats) {
            const auto& c = hb.stats["components"];
            if (c.contains("ledger") && c["ledger"]["emitted"].get<std::uint64_t>() > 0)
              host = hb.host == lab->address("sup0") ? "sup0" : "sup1";
          }
          return !host.empty();
        },
        20s);
    return host;
  }

  // The spout's first life stopped taking input before, or at most a message timeout after, its
  // replacement started.
  void expect_replaced_spout_stopped_in_time(int message_timeout_secs) {
    auto lives = emitting_lives(dir / "ledger");
    ASSERT_GE(lives.size(), 2u) << "the spout should have been started again elsewhere";
    std::fprintf(stderr, "the first spout's last emit: %+lld ms from its replacement's first\n",
                 static_cast<long long>(lives[0].second - lives[1].first));
    EXPECT_LT(lives[0].second, lives[1].first + message_timeout_secs * 1000)
        << "the first spout emitted until " << lives[0].second << ", its replacement from "
        << lives[1].first;
  }

  void expect_every_id_acked(int count, std::chrono::seconds limit) {
    EXPECT_TRUE(eventually(
        [&] { return ledger_acked_ids(dir / "ledger").size() == static_cast<std::size_t>(count); },
        limit))
        << "acked " << ledger_acked_ids(dir / "ledger").size() << " of " << count;
  }
};

// Workers on two hosts reach each other by their supervisors' addresses, and the cluster runs on
// through the loss of one ZooKeeper member: nothing restarts, every id is acked.
TEST_F(MultiHost, WorkersOnTwoHostsLoseNothingWhenAZooKeeperMemberDies) {
  constexpr int kIds = 12000;
  std::string id = submit_ledger(kIds, 600, 10);
  auto beats = state->heartbeats(id);
  ASSERT_TRUE(beats.ok());
  std::set<std::string> hosts;
  for (const auto& hb : *beats) hosts.insert(hb.host);
  EXPECT_EQ(hosts, (std::set<std::string>{lab->address("sup0"), lab->address("sup1")}));
  const auto pids = worker_pids(id);

  ensemble[0]->stop();  // one of three: the quorum stands
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(gale({"list"}).exit_code, 0) << "Nimbus answers with two members of three";
  expect_every_id_acked(kIds, 60s);
  EXPECT_EQ(worker_pids(id), pids) << "a worker restarted";
}

// A supervisor's host cut off for 30 s, then back. The design (docs/CLUSTER.md, "Partitions"):
// after nimbus.task.timeout.secs Nimbus gives the cut-off worker's tasks to a slot it can see;
// the cut-off worker has fenced itself before that (no heartbeat written: its spouts take no new
// input), and once back it learns its slot is gone and its supervisor stops it. So the two
// lives of the spout never take input at the same time beyond the message timeout, and every
// id is acked.
TEST_F(MultiHost, ASupervisorHostCutOffFor30sLosesNothingAndNeverRunsTwice) {
  constexpr int kIds = 30000;
  constexpr int kMessageTimeoutSecs = 5;
  std::string id = submit_ledger(kIds, 500, kMessageTimeoutSecs);
  const std::string cut = spout_host(id);
  ASSERT_FALSE(cut.empty());
  const auto before = state->assignment(id);
  ASSERT_TRUE(before.ok() && before->has_value());

  lab->cut(cut);
  // The work moves: a new assignment without the cut-off host, and ids acked again.
  EXPECT_TRUE(eventually(
      [&] {
        auto now = state->assignment(id);
        return now.ok() && *now && (*now)->epoch > (*before)->epoch;
      },
      20s))
      << "Nimbus did not move the cut-off worker's tasks";
  const auto acked_at_move = ledger_acked_ids(dir / "ledger").size();
  EXPECT_TRUE(eventually(
      [&] { return ledger_acked_ids(dir / "ledger").size() > acked_at_move + 500; }, 20s))
      << "nothing acked after the move";
  std::this_thread::sleep_for(10s);
  lab->heal(cut);

  expect_every_id_acked(kIds, 60s);
  expect_replaced_spout_stopped_in_time(kMessageTimeoutSecs);
}

// A worker frozen with SIGSTOP past nimbus.task.timeout.secs, then continued: its tasks are
// given to another slot meanwhile, it stops once it sees that, and every id is acked.
TEST_F(MultiHost, AWorkerFrozenPastTheTimeoutIsReplacedAndLosesNothing) {
  constexpr int kIds = 15000;
  constexpr int kMessageTimeoutSecs = 10;
  std::string id = submit_ledger(kIds, 600, kMessageTimeoutSecs);
  const std::string host = spout_host(id);
  ASSERT_FALSE(host.empty());
  pid_t frozen = 0;
  auto beats = state->heartbeats(id);
  ASSERT_TRUE(beats.ok());
  for (const auto& hb : *beats)
    if (hb.host == lab->address(host)) {
      auto r = run_command(
          {"/usr/bin/pgrep", "-f", "--",
           "gale-worker run --topology-id " + id + " .*--port " + std::to_string(hb.port) + " "});
      frozen = static_cast<pid_t>(std::atoi(r.output.c_str()));
    }
  ASSERT_GT(frozen, 0);
  ASSERT_EQ(::kill(frozen, SIGSTOP), 0);
  std::this_thread::sleep_for(8s);  // twice the task timeout
  ::kill(frozen, SIGCONT);
  EXPECT_TRUE(eventually([&] { return ::kill(frozen, 0) != 0; }, 20s))
      << "the frozen worker still runs";
  expect_every_id_acked(kIds, 60s);
  expect_replaced_spout_stopped_in_time(kMessageTimeoutSecs);
}

}  // namespace
}  // namespace gale::testing
