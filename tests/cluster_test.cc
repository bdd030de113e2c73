// The whole cluster as a user runs it: a real ZooKeeper server, gale-nimbus, two
// gale-supervisors launching gale-worker processes, driven through the `gale` CLI. Counts come
// from the workers' heartbeats in ZooKeeper, never from logs.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "gale/nimbus/client.h"
#include "gale/testing/cluster_fixture.h"
#include "gale/transport/zmq_transport.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
namespace coord = gale::coordination;
namespace fs = std::filesystem;

const std::string kWordCount = std::string(GALE_TOPOLOGY_DIR) + "/word_count.so";

// Submits word count (2000 sentences, two workers) as "wc" and waits for its exact counts;
// returns its id, "" (with a failure recorded) if it did not count right.
std::string submit_word_count_and_wait(Cluster& cluster) {
  auto r = cluster.gale({"submit", kWordCount, "--name", "wc", "-c", "topology.workers=2", "-c",
                         "wordcount.max.sentences=2000"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string id = cluster.topology_id("wc");
  EXPECT_FALSE(id.empty());
  // 2000 sentences = 250 rounds of the 8 built-in ones, 79 words a round.
  EXPECT_TRUE(eventually([&] { return cluster.total(id, "sentences", "acked") == 2000; }))
      << "acked " << cluster.total(id, "sentences", "acked");
  EXPECT_TRUE(eventually([&] { return cluster.total(id, "count", "executed") == 19750; }));
  return ::testing::Test::HasFailure() ? "" : id;
}

TEST_F(Cluster, WordCountOnTwoSupervisorsCountsRight) {
  const std::string id = submit_word_count_and_wait(*this);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(total(id, "sentences", "failed"), 0u);
  auto beats = state->heartbeats(id);
  ASSERT_TRUE(beats.ok());
  std::set<int> ports;
  for (const auto& hb : *beats) ports.insert(hb.port);
  bool on_first = ports.count(slots[0][0]) || ports.count(slots[0][1]);
  bool on_second = ports.count(slots[1][0]) || ports.count(slots[1][1]);
  EXPECT_TRUE(on_first && on_second) << "the two workers should be spread over both supervisors";

  auto list = gale({"list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.output.find("wc"), std::string::npos) << list.output;
  auto kill = gale({"kill", "wc", "-w", "0"});
  EXPECT_EQ(kill.exit_code, 0) << kill.output;
  EXPECT_TRUE(eventually([&] { return topology_id("wc").empty(); }, 20s));
}

// Workers reach each other only with their topology's CURVE key pair (Nimbus made it at submit
// and keeps it under the cluster's ZooKeeper ACL). A peer without it — plain ZeroMQ, or a key
// pair of its own even knowing the workers' public key — delivers nothing to a worker's port:
// no tuple is executed, and the workers count the refused handshakes in their heartbeats.
TEST_F(Cluster, APeerWithoutTheTopologysKeyDeliversNoTuple) {
  auto r = gale({"submit", kWordCount, "--name", "wc", "-c", "topology.workers=2", "-c",
                 "wordcount.max.sentences=2000"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = topology_id("wc");
  ASSERT_TRUE(eventually([&] { return total(id, "count", "executed") == 19750; }))
      << total(id, "count", "executed");
  auto keys = state->credentials(id);
  ASSERT_TRUE(keys.ok() && keys->has_value());
  auto beats = state->heartbeats(id);
  ASSERT_TRUE(beats.ok() && beats->size() == 2);
  auto refused = [&] {
    std::uint64_t sum = 0;
    auto now = state->heartbeats(id);
    if (now.ok())
      for (const auto& hb : *now) sum += hb.stats.value("refused_peers", std::uint64_t{0});
    return sum;
  };
  const std::uint64_t refused_before = refused();

  zmq::context_t context;
  std::vector<zmq::socket_t> attackers;
  const transport::CurveKeys own = transport::make_curve_keys();
  for (const auto& hb : *beats) {
    for (bool with_own_keys : {false, true}) {
      auto& socket = attackers.emplace_back(context, zmq::socket_type::push);
      socket.set(zmq::sockopt::linger, 0);
      if (with_own_keys) {
        socket.set(zmq::sockopt::curve_serverkey, (*keys)->curve_public);
        socket.set(zmq::sockopt::curve_publickey, own.public_key);
        socket.set(zmq::sockopt::curve_secretkey, own.secret_key);
      }
      socket.connect("tcp://" + hb.host + ":" + std::to_string(hb.port));
      for (int i = 0; i < 10; ++i)
        (void)socket.send(zmq::str_buffer("forged batch"), zmq::send_flags::dontwait);
    }
  }
  EXPECT_TRUE(eventually([&] { return refused() >= refused_before + 2; }, 20s))
      << "refused handshakes: " << refused();
  EXPECT_EQ(total(id, "count", "executed"), 19750u);
  EXPECT_EQ(total(id, "split", "executed"), 2000u);
  EXPECT_EQ(total(id, "sentences", "failed"), 0u);
  EXPECT_EQ(gale({"kill", "wc", "-w", "0"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return topology_id("wc").empty(); }, 20s));
  EXPECT_FALSE(state->credentials(id).value().has_value());
}

TEST_F(Cluster, BadTopologyAtSubmitIsRefusedAndNothingIsScheduled) {
  std::string text = (dir / "notes.txt").string();
  std::ofstream(text) << "not a library\n";
  auto r = gale({"submit", text, "--name", "bad"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("not a shared library"), std::string::npos) << r.output;
  auto invalid =
      gale({"submit", std::string(GALE_TOPOLOGY_DIR) + "/test_invalid.so", "--name", "bad2"});
  EXPECT_NE(invalid.exit_code, 0);
  EXPECT_NE(invalid.output.find("unknown component 'sourse'"), std::string::npos) << invalid.output;
  auto ids = state->topology_ids();
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
  auto assignments = state->assignment_ids();
  ASSERT_TRUE(assignments.ok());
  EXPECT_TRUE(assignments->empty());
}

TEST_F(Cluster, KilledWorkerIsRestartedAndNothingIsLost) {
  auto r = gale({"submit", kWordCount, "--name", "wc", "-c", "topology.workers=2", "-c",
                 "wordcount.max.sentences=200000", "-c", "topology.message.timeout.secs=3", "-c",
                 "topology.max.spout.pending=200"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = topology_id("wc");
  ASSERT_TRUE(eventually([&] { return total(id, "sentences", "acked") >= 5000; }));
  // The worker without the spout: kill -9 it.
  auto beats = state->heartbeats(id);
  ASSERT_TRUE(beats.ok() && beats->size() == 2);
  int victim = 0;
  for (const auto& hb : *beats)
    if (!hb.stats["components"].contains("sentences") ||
        hb.stats["components"]["sentences"]["emitted"].get<std::uint64_t>() == 0)
      victim = hb.port;
  ASSERT_NE(victim, 0);
  ASSERT_LT(total(id, "sentences", "acked"), 200000u) << "finished before the kill";
  const pid_t victim_pid = worker_on_port(victim);
  ASSERT_GT(victim_pid, 0) << "no worker on port " << victim;
  ASSERT_EQ(::kill(victim_pid, SIGKILL), 0);
  // Restarted by its supervisor within a few seconds: a fresh heartbeat with a small uptime.
  EXPECT_TRUE(eventually(
      [&] {
        auto b = state->heartbeats(id);
        if (!b.ok()) return false;
        for (const auto& hb : *b)
          if (hb.port == victim && hb.uptime_secs <= 2) return true;
        return false;
      },
      15s));
  ASSERT_TRUE(eventually([&] { return total(id, "sentences", "acked") == 200000; }, 120s))
      << "acked " << total(id, "sentences", "acked");
}

TEST_F(Cluster, NimbusRestartLeavesWorkersRunning) {
  auto r = gale({"submit", kWordCount, "--name", "wc", "-c", "topology.workers=2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = topology_id("wc");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2 && total(id, "sentences", "acked") > 0; }));
  nimbus->stop(SIGKILL);
  std::uint64_t before = total(id, "sentences", "acked");
  EXPECT_TRUE(eventually([&] { return total(id, "sentences", "acked") > before + 1000; }, 20s))
      << "the topology stopped while Nimbus was down";
  start_nimbus();
  // The killed Nimbus's leader node outlives it until its session expires (4 s here); the
  // restarted one, on the same address, leads at once: its first answer is the list, never
  // "not the leader".
  CommandResult first;
  ASSERT_TRUE(eventually(
      [&] {
        first = gale({"list"});
        return first.output.find("cannot reach") == std::string::npos;
      },
      20s));
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("wc"), std::string::npos) << first.output;
  auto beats = state->heartbeats(id);
  ASSERT_TRUE(beats.ok());
  for (const auto& hb : *beats) EXPECT_GE(hb.uptime_secs, 1) << "a worker restarted: " << hb.port;
}

TEST_F(Cluster, StoppedSupervisorsWorkMovesToTheOther) {
  auto r = gale({"submit", kWordCount, "--name", "wc", "-c", "topology.workers=2", "-c",
                 "topology.message.timeout.secs=3"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = topology_id("wc");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2; }));
  supervisors[0]->stop(SIGKILL);
  // Its workers are orphans: stop them too, as losing the machine would.
  for (int port : slots[0])
    if (pid_t pid = worker_on_port(port); pid > 0) ::kill(pid, SIGKILL);
  // Nimbus moves the work to supervisor 1's two slots; the topology keeps running there.
  EXPECT_TRUE(eventually(
      [&] {
        auto a = state->assignment(id);
        if (!a.ok() || !*a) return false;
        for (const auto& [task, slot] : (*a)->task_slots)
          if (slot.supervisor_id != supervisor_id("1")) return false;
        return true;
      },
      30s))
      << "work still assigned to the stopped supervisor";
  std::uint64_t before = total(id, "sentences", "acked");
  EXPECT_TRUE(eventually([&] { return total(id, "sentences", "acked") > before + 1000; }, 30s));
}

// The ledger spout records every acked id in files that outlive its worker; after rebalancing
// 1 -> 2 -> 4 workers mid-stream, every id must be in them: nothing in flight was lost.
TEST_F(Cluster, RebalanceOneToTwoToFourWorkersLosesNoTuple) {
  const int n = 200000;
  fs::create_directories(dir / "ledger");
  auto r = gale({"submit", std::string(GALE_TOPOLOGY_DIR) + "/test_ledger.so", "--name", "ledger",
                 "-c", "topology.workers=1", "-c", "ledger.count=" + std::to_string(n), "-c",
                 "ledger.dir=" + (dir / "ledger").string(), "-c", "topology.message.timeout.secs=3",
                 "-c", "topology.max.spout.pending=500", "-c", "ledger.rate=20000"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = topology_id("ledger");
  auto slots_used = [&] {
    auto a = state->assignment(id);
    std::set<int> ports;
    if (a.ok() && *a)
      for (const auto& [task, slot] : (*a)->task_slots) ports.insert(slot.port);
    return ports.size();
  };
  auto acked_ids = [&] { return ledger_acked_ids(dir / "ledger"); };
  ASSERT_TRUE(eventually([&] { return total(id, "ledger", "acked") >= 2000; }));
  for (int workers : {2, 4}) {
    auto rb = gale({"rebalance", "ledger", "-n", std::to_string(workers), "-w", "1"});
    ASSERT_EQ(rb.exit_code, 0) << rb.output;
    ASSERT_TRUE(eventually([&] { return slots_used() == static_cast<std::size_t>(workers); }, 30s))
        << "assignment uses " << slots_used() << " slots";
  }
  ASSERT_LT(acked_ids().size(), static_cast<std::size_t>(n)) << "finished before the rebalances";
  ASSERT_TRUE(eventually([&] { return acked_ids().size() == static_cast<std::size_t>(n); }, 180s))
      << acked_ids().size() << " of " << n << " ids acked";
  auto ids = acked_ids();
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), n - 1);
}

// Each supervisor runs a log server (TLS, on a port of its own); people read workers' logs
// through Nimbus, which checks their token and role and asks the supervisor with the secret
// the supervisor registered in ZooKeeper.
class ClusterWithLogServers : public Cluster {
 protected:
  ClusterWithLogServers() { more_ports_wanted = 2; }  // one log server port per supervisor
  std::vector<std::string> settings_of_supervisor(int i) const override {
    return {"supervisor.logviewer.port=" + std::to_string(more_ports[static_cast<std::size_t>(i)]),
            "supervisor.tls.cert.file=" + (dir / "tls" / "nimbus.pem").string(),
            "supervisor.tls.key.file=" + (dir / "tls" / "nimbus.key").string()};
  }
};

TEST_F(ClusterWithLogServers, WorkerLogsAreReadThroughNimbusByWhoMayAndAudited) {
  const std::string id = submit_word_count_and_wait(*this);
  ASSERT_FALSE(id.empty());
  auto assignment = state->assignment(id);
  ASSERT_TRUE(assignment.ok() && assignment->has_value());
  const coord::Slot slot = (*assignment)->task_slots.begin()->second;
  const std::string worker = slot.supervisor_id + ":" + std::to_string(slot.port);

  // The tail holds the worker's own lines; a short tail starts at a whole line (read first:
  // the log may grow meanwhile, so it is found in the longer tail read after it).
  auto short_tail = gale({"logs", "wc", worker, "--tail", "300"});
  ASSERT_EQ(short_tail.exit_code, 0) << short_tail.output;
  EXPECT_LE(short_tail.output.size(), 300u);
  auto tail = gale({"logs", "wc", worker});
  ASSERT_EQ(tail.exit_code, 0) << tail.output;
  EXPECT_NE(tail.output.find("executors of " + id + " in"), std::string::npos) << tail.output;
  ASSERT_FALSE(short_tail.output.empty());
  EXPECT_TRUE(tail.output == short_tail.output ||
              tail.output.find("\n" + short_tail.output) != std::string::npos)
      << "not a whole line: " << short_tail.output;
  // A search answers only the lines that hold the text.
  auto found = gale({"logs", "wc", worker, "--search", "executors of"});
  ASSERT_EQ(found.exit_code, 0) << found.output;
  std::istringstream lines(found.output);
  int matched = 0;
  for (std::string line; std::getline(lines, line); ++matched)
    EXPECT_NE(line.find("executors of"), std::string::npos) << line;
  EXPECT_GE(matched, 1);
  // A slot the topology does not have is refused, naming it.
  auto elsewhere = gale({"logs", "wc", slot.supervisor_id + ":1"});
  EXPECT_NE(elsewhere.exit_code, 0);
  EXPECT_NE(elsewhere.output.find("has no worker on " + slot.supervisor_id + ":1"),
            std::string::npos)
      << elsewhere.output;

  // A viewer sees the topology but not its logs (they may hold customers' data).
  issue_token("vic", "viewer");
  const std::string viewer_yaml = (dir / "viewer.yaml").string();
  {
    std::ifstream in(yaml);
    std::ofstream out(viewer_yaml);
    for (std::string line; std::getline(in, line);)
      out << (line.rfind("security.token.file:", 0) == 0
                  ? "security.token.file: " + token_file("vic")
                  : line)
          << "\n";
  }
  auto refused = run_command({kBin + "/gale", "logs", "--config", viewer_yaml, "wc", worker});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("lacks the permission topology.logs"), std::string::npos)
      << refused.output;
  EXPECT_EQ(run_command({kBin + "/gale", "status", "--config", viewer_yaml, "wc"}).exit_code, 0);

  // The log server answers the holder of its registered secret alone, over TLS.
  auto sups = state->supervisors();
  ASSERT_TRUE(sups.ok());
  auto sup = std::find_if(sups->begin(), sups->end(),
                          [&](const auto& s) { return s.id == slot.supervisor_id; });
  ASSERT_NE(sup, sups->end());
  ASSERT_NE(sup->log_port, 0);
  EXPECT_EQ(sup->log_secret.size(), 64u);
  const std::string path = "/logs/" + id + "/" + std::to_string(slot.port);
  for (const std::string& token : {std::string(), std::string(64, '0')}) {
    nimbus::NimbusEndpoint endpoint{"127.0.0.1", sup->log_port, token, dir / "tls" / "ca.pem",
                                    5000ms};
    auto reply = nimbus::NimbusClient(endpoint).request("GET", path);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(reply->status, 401) << reply->body;
  }
  nimbus::NimbusEndpoint nimbus_like{"127.0.0.1", sup->log_port, sup->log_secret,
                                     dir / "tls" / "ca.pem", 5000ms};
  nimbus::NimbusClient with_secret(nimbus_like);
  EXPECT_EQ(with_secret.request("GET", path).value().status, 200);
  // Nothing but a valid id and one of its slots names a file.
  EXPECT_EQ(with_secret.request("GET", "/logs/../" + std::to_string(slot.port)).value().status,
            400);
  EXPECT_EQ(with_secret.request("GET", "/logs/" + id + "/22").value().status, 404);
  EXPECT_EQ(with_secret.request("GET", "/logs/%2e%2e%2fnimbus/" + std::to_string(slot.port))
                .value()
                .status,
            400);

  // The secret is in no answer of the API and in no daemon's log.
  int nimbus_port = 0;
  {
    std::ifstream in(yaml);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("nimbus.port: ", 0) == 0) nimbus_port = std::stoi(line.substr(13));
  }
  std::string admin_token;
  std::getline(std::ifstream(token_file("admin")), admin_token);
  nimbus::NimbusClient admin({"127.0.0.1", nimbus_port, admin_token, dir / "tls" / "ca.pem", 10s});
  auto cluster_view = admin.cluster();
  ASSERT_TRUE(cluster_view.ok()) << cluster_view.error().message;
  EXPECT_EQ(cluster_view->dump().find(sup->log_secret), std::string::npos);
  EXPECT_NE(cluster_view->dump().find("\"serves_logs\":true"), std::string::npos);
  EXPECT_EQ(admin.status("wc").value().dump().find(sup->log_secret), std::string::npos);
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".log") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find(sup->log_secret), std::string::npos) << entry.path();
  }

  // Each read is in the audit log, with who read which worker.
  auto audit = gale({"audit", "-n", "50"});
  ASSERT_EQ(audit.exit_code, 0) << audit.output;
  EXPECT_NE(audit.output.find("\"action\":\"worker.log\""), std::string::npos) << audit.output;
  EXPECT_NE(audit.output.find("\"target\":\"" + worker + " search executors of\""),
            std::string::npos)
      << audit.output;
  // The tail read twice is one entry (a followed tail does not flood the log); the refused
  // read of a slot it does not have is audited each time (once above, once here).
  EXPECT_EQ(gale({"logs", "wc", slot.supervisor_id + ":1"}).exit_code == 0, false);
  audit = gale({"audit", "-n", "50"});
  auto count = [&](const std::string& text) {
    std::size_t n = 0;
    for (auto at = audit.output.find(text); at != std::string::npos;
         at = audit.output.find(text, at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count("\"principal\":\"admin\",\"role\":\"admin\",\"source\":\"127.0.0.1\","
                  "\"status\":200,\"target\":\"" +
                  worker + " page\""),
            1u)
      << audit.output;
  EXPECT_EQ(count("\"target\":\"" + slot.supervisor_id + ":1 page\""), 2u) << audit.output;
}

// supervisor.worker.user: the supervisors run their workers as another user (`nobody` here),
// with the topology's own ZooKeeper identity. The topology runs and counts right; its worker
// processes are that user's; neither their command line nor their environment holds the
// cluster's identity, the supervisor's token or (once read) the topology's own; and the files
// that do (gale.yaml, the token files) are made unreadable to other users once the daemons
// have started, as an operator would keep them.
class ClusterWorkersAsAnotherUser : public Cluster {
 protected:
  ClusterWorkersAsAnotherUser() { supervisor_settings = {"supervisor.worker.user=nobody"}; }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "switching a worker's user needs root";
    Cluster::SetUp();
    for (const fs::path& secret :
         {fs::path(yaml), fs::path(token_file("admin")), fs::path(token_file("supervisor"))})
      fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
  }
};

std::string proc_text(pid_t pid, const std::string& file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(ClusterWorkersAsAnotherUser, RunTheTopologyWithItsOwnIdentityAndNoSecretOfTheCluster) {
  const std::string id = submit_word_count_and_wait(*this);
  ASSERT_FALSE(id.empty());
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  auto pids = worker_pids(id);
  ASSERT_EQ(pids.size(), 2u);
  for (pid_t pid : pids) {
    const auto status = proc_text(pid, "status");
    const auto uid_line = status.substr(
        status.find("Uid:"), status.find('\n', status.find("Uid:")) - status.find("Uid:"));
    EXPECT_EQ(uid_line.find("\t0\t"), std::string::npos) << uid_line;
    EXPECT_NE(uid_line.find("\t" + std::to_string(nobody->pw_uid) + "\t"), std::string::npos)
        << uid_line;
    const auto cmdline = proc_text(pid, "cmdline"), environ = proc_text(pid, "environ");
    EXPECT_EQ(cmdline.find(kZooKeeperAuth), std::string::npos);
    EXPECT_EQ(cmdline.find("--config"), std::string::npos);
    EXPECT_EQ(environ.find(kZooKeeperAuth), std::string::npos);
    EXPECT_EQ(environ.find("GALE_TOKEN="), std::string::npos);
    // Its own identity is gone from where the kernel keeps its environment, and the process is
    // not dumpable (its /proc files belong to root), so another worker of the same user can
    // neither read it there nor trace the process for it.
    EXPECT_EQ(environ.find("topology-" + id + ":"), std::string::npos);
    struct stat proc_file {};
    ASSERT_EQ(::stat(("/proc/" + std::to_string(pid) + "/environ").c_str(), &proc_file), 0);
    EXPECT_EQ(proc_file.st_uid, 0u);
  }
  auto kill = gale({"kill", "wc", "-w", "0"});
  EXPECT_EQ(kill.exit_code, 0) << kill.output;
  EXPECT_TRUE(eventually([&] { return topology_id("wc").empty(); }, 20s));
}

}  // namespace
}  // namespace gale::testing
