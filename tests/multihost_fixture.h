#pragma once
// MultiHost: the Cluster fixture on hosts of its own (NetworkLab: network namespaces on a private
// bridge, 10.77.0.0/24): a ZooKeeper ensemble of three (zk1..zk3), Nimbus, two supervisors (sup0,
// sup1), and the test with its CLI on "client". Root only: a test on a machine without it is
// skipped. With the ledger topology's helpers (tests/topologies/ledger.cc): submit it, find the
// host of its spout, read each life of the spout from its files.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "gale/testing/cluster_fixture.h"
#include "gale/testing/network_lab.h"

namespace gale::testing {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using coordination::testing::ZooKeeperServer;

inline const std::string kLedger = std::string(GALE_TOPOLOGY_DIR) + "/test_ledger.so";
inline const std::vector<std::string> kZooKeeperHosts{"zk1", "zk2", "zk3"};

// One life of a ledger spout task, from its emitting-<task>-<pid>-<n> file: its first and last emit
// (wall-clock ms), how many emits it made, how many of them were replays, the highest id emitted.
struct SpoutLife {
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  std::int64_t emits = 0;
  std::int64_t replays = 0;
  std::int64_t highest = -1;
  bool operator<(const SpoutLife& o) const { return first_ms < o.first_ms; }
};

// Every life of the ledger's spout tasks, oldest first.
inline std::vector<SpoutLife> spout_lives(const fs::path& ledger) {
  std::vector<SpoutLife> lives;
  for (const auto& f : fs::directory_iterator(ledger)) {
    if (f.path().filename().string().rfind("emitting-", 0) != 0) continue;
    std::ifstream in(f.path());
    SpoutLife life;
    if (in >> life.first_ms >> life.last_ms >> life.emits >> life.replays >> life.highest)
      lives.push_back(life);
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
    auto lives = spout_lives(dir / "ledger");
    ASSERT_GE(lives.size(), 2u) << "the spout should have been started again elsewhere";
    std::fprintf(stderr, "the first spout's last emit: %+lld ms from its replacement's first\n",
                 static_cast<long long>(lives[0].last_ms - lives[1].first_ms));
    EXPECT_LT(lives[0].last_ms, lives[1].first_ms + message_timeout_secs * 1000)
        << "the first spout emitted until " << lives[0].last_ms << ", its replacement from "
        << lives[1].first_ms;
  }

  void expect_every_id_acked(int count, std::chrono::seconds limit) {
    EXPECT_TRUE(eventually(
        [&] { return ledger_acked_ids(dir / "ledger").size() == static_cast<std::size_t>(count); },
        limit))
        << "acked " << ledger_acked_ids(dir / "ledger").size() << " of " << count;
  }
};

}  // namespace gale::testing
