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

#include "multihost_fixture.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

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

// A supervisor's host cut off until its work has moved and runs elsewhere, then 10 s more, then
// back (docs/CLUSTER.md, "Several hosts, partitions and the fence"). Nimbus gives the cut-off
// worker's tasks to a slot it can see after nimbus.task.timeout.secs; the cut-off worker has
// fenced itself before that (its spouts take no new input), and once back it finds its slot gone
// and exits. So the spout's two lives do not take input side by side (the test allows a message
// timeout), and every id is acked.
TEST_F(MultiHost, ASupervisorHostCutOffLosesNothingAndItsWorkerFencesItself) {
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
    if (hb.host == lab->address(host)) frozen = worker_on_port(hb.port);
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
