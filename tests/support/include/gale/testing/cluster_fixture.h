#pragma once
// A whole local cluster for tests, as a user runs it: a real ZooKeeper server, gale-nimbus and
// two gale-supervisors (two slots each) launching gale-worker processes, driven through the
// `gale` CLI; statistics read from the workers' heartbeats in ZooKeeper. Secured as
// scripts/cluster-start.sh secures a cluster: HTTPS with scripts/make-tls.sh's certificate, an
// admin token for the CLI and a supervisor token, issued with `gale-nimbus token create`, and
// ZooKeeper nodes readable only with the cluster's digest (kZooKeeperAuth).
// Needs GALE_BIN_DIR.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "gale/coordination/cluster_state.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/testing/child_process.h"
#include "gale/testing/tls_files.h"
#include "gale/testing/zookeeper_server.h"

namespace gale::testing {

using namespace std::chrono_literals;

inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 60s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

// The ids the ledger test topology (tests/topologies/ledger.cc) has recorded as acked in
// `ledger_dir`, over every life of every spout task.
inline std::set<std::int64_t> ledger_acked_ids(const std::filesystem::path& ledger_dir) {
  std::set<std::int64_t> ids;
  for (const auto& f : std::filesystem::directory_iterator(ledger_dir)) {
    if (f.path().filename().string().rfind("acked-", 0) != 0) continue;
    std::ifstream in(f.path());
    for (std::int64_t id; in >> id;) ids.insert(id);
  }
  return ids;
}

inline const std::string kBin = GALE_BIN_DIR;
// The cluster's ZooKeeper identity (storm.zookeeper.auth.payload).
inline const std::string kZooKeeperAuth = "gale:e2e-" + std::to_string(::getpid());

class Cluster : public ::testing::Test {
 public:  // tests and their helpers use the whole fixture
  std::unique_ptr<gale::coordination::testing::ZooKeeperServer> zk;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("gale-e2e-" + std::to_string(::getpid()));
  std::string yaml;
  std::unique_ptr<ChildProcess> nimbus;
  std::vector<std::unique_ptr<ChildProcess>> supervisors;
  std::vector<std::vector<int>> slots;
  std::unique_ptr<gale::coordination::ZooKeeperStore> store;
  std::unique_ptr<gale::coordination::ClusterState> state;
  // More "key=value" settings for every supervisor (a derived fixture sets them).
  std::vector<std::string> supervisor_settings;
  // The settings of supervisor i: supervisor_settings, unless a derived fixture gives each its
  // own (a port of its own, say).
  virtual std::vector<std::string> settings_of_supervisor(int /*i*/) const {
    return supervisor_settings;
  }
  int slots_per_supervisor = 2;  // a derived fixture may set more before SetUp
  // More free ports for a derived fixture (its supervisors' log servers, say): how many it
  // wants, set before SetUp, and the ports, chosen with the others so that none is taken twice.
  int more_ports_wanted = 0;
  std::vector<int> more_ports;

  // Where the parts run: all on 127.0.0.1 here. A fixture that puts them on several hosts
  // (tests/multihost_test.cc) overrides these.
  virtual void start_zookeeper() {
    zk = std::make_unique<gale::coordination::testing::ZooKeeperServer>();
  }
  virtual std::string zookeeper_servers() const { return zk->connect_string(); }
  virtual std::string nimbus_host() const { return "127.0.0.1"; }
  virtual std::string supervisor_host(int /*i*/) const { return "127.0.0.1"; }
  // `argv` as run on the host of "nimbus" or "supervisor-<i>".
  virtual std::vector<std::string> on(const std::string& /*role*/,
                                      std::vector<std::string> argv) const {
    return argv;
  }

  void SetUp() override {
    start_zookeeper();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "logs");
    yaml = (dir / "gale.yaml").string();
    // Nimbus, then the slots of each supervisor.
    auto ports = free_ports(1 + 2 * slots_per_supervisor + more_ports_wanted);
    more_ports.assign(ports.end() - more_ports_wanted, ports.end());
    std::ofstream(yaml) << "storm.zookeeper.servers: \"" << zookeeper_servers() << "\"\n"
                        << "storm.zookeeper.root: /gale-e2e\n"
                        << "storm.zookeeper.auth.payload: \"" << kZooKeeperAuth << "\"\n"
                        << "nimbus.host: " << nimbus_host() << "\n"
                        << "nimbus.port: " << ports[0] << "\n"
                        << "nimbus.task.timeout.secs: 4\n"
                        << "nimbus.monitor.freq.secs: 1\n"
                        << "storm.zookeeper.session.timeout: 4000\n"
                        << "storm.zookeeper.operation.timeout: 2000\n";
    auto tls = make_tls_files(dir / "tls", nimbus_host() == "127.0.0.1"
                                               ? std::vector<std::string>{}
                                               : std::vector<std::string>{nimbus_host()});
    std::ofstream(yaml, std::ios::app) << "nimbus.tls.cert.file: " << tls.cert.string() << "\n"
                                       << "nimbus.tls.key.file: " << tls.key.string() << "\n"
                                       << "security.tls.ca.file: " << tls.ca.string() << "\n"
                                       << "security.token.file: " << token_file("admin") << "\n";
    issue_token("admin", "admin");
    issue_token("supervisor", "supervisor");
    start_nimbus();
    for (int i = 0; i < 2; ++i) {
      slots.emplace_back(ports.begin() + 1 + i * slots_per_supervisor,
                         ports.begin() + 1 + (i + 1) * slots_per_supervisor);
      start_supervisor(i);
    }
    gale::coordination::ZooKeeperOptions options;
    options.connect_string = zookeeper_servers();
    options.root = "/gale-e2e";
    options.auth_payload = kZooKeeperAuth;
    auto s = gale::coordination::ZooKeeperStore::connect(options);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store = std::move(s).value();
    state = std::make_unique<gale::coordination::ClusterState>(*store);
    ASSERT_TRUE(eventually([&] {
      auto sups = state->supervisors();
      return sups.ok() && sups->size() == 2;
    })) << "supervisors did not register";
    // Supervisors register without Nimbus: a test's first call must not beat its listening.
    ASSERT_TRUE(eventually([&] { return accepts(nimbus_host(), ports[0]); }))
        << "Nimbus did not listen on " << nimbus_host() << ":" << ports[0];
  }

  void TearDown() override {
    for (auto& s : supervisors) s.reset();
    nimbus.reset();
    // Workers are children of the supervisors; any left running are stopped here.
    // Only this test process's: tests of other binaries may be running clusters beside it.
    run_command({"/usr/bin/pkill", "-KILL", "-f", "--", "--supervisor-id " + supervisor_id("")});
    if (!HasFailure()) std::filesystem::remove_all(dir);
  }

  // Whether something accepts TCP connections on host:port (an IPv4 address).
  static bool accepts(const std::string& host, int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::inet_pton(AF_INET, host.c_str(), &address.sin_addr) == 1 &&
                    ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
  }

  // "e2e-<pid>-<i>": unique to this test process, so that its TearDown kills its workers only.
  static std::string supervisor_id(const std::string& i) {
    return "e2e-" + std::to_string(::getpid()) + "-" + i;
  }

  std::string token_file(const std::string& principal) const {
    return (dir / (principal + ".token")).string();
  }
  // `gale-nimbus token create`, as an operator bootstraps a cluster; the token into its file.
  void issue_token(const std::string& principal, const std::string& role) {
    auto issued = run_command(
        {kBin + "/gale-nimbus", "token", "create", principal, "--role", role, "--config", yaml});
    ASSERT_EQ(issued.exit_code, 0) << issued.output;
    std::istringstream lines(issued.output);  // (stdout and stderr together: find the token)
    for (std::string line; std::getline(lines, line);)
      if (line.rfind(principal + ".", 0) == 0) std::ofstream(token_file(principal)) << line << "\n";
    ASSERT_TRUE(std::filesystem::exists(token_file(principal))) << issued.output;
  }

  void start_nimbus() {
    nimbus = std::make_unique<ChildProcess>(
        on("nimbus", {kBin + "/gale-nimbus", "--config", yaml, "-c",
                      "storm.local.dir=" + (dir / "nimbus").string()}),
        (dir / "logs" / "nimbus.log").string());
  }
  void start_supervisor(int i) {
    std::string ports;
    for (int port : slots[static_cast<std::size_t>(i)])
      ports += (ports.empty() ? "" : ",") + std::to_string(port);
    std::vector<std::string> argv{kBin + "/gale-supervisor",
                                  "--config",
                                  yaml,
                                  "-c",
                                  "storm.local.dir=" + (dir / ("sup" + std::to_string(i))).string(),
                                  "-c",
                                  "supervisor.id=" + supervisor_id(std::to_string(i)),
                                  "-c",
                                  "supervisor.slots.ports=" + ports,
                                  "-c",
                                  "supervisor.host=" + supervisor_host(i),
                                  "-c",
                                  "security.token.file=" + token_file("supervisor")};
    for (const auto& setting : settings_of_supervisor(i)) argv.insert(argv.end(), {"-c", setting});
    auto p = std::make_unique<ChildProcess>(
        on("supervisor-" + std::to_string(i), argv),
        (dir / "logs" / ("supervisor-" + std::to_string(i) + ".log")).string());
    if (i < static_cast<int>(supervisors.size())) {
      supervisors[static_cast<std::size_t>(i)] = std::move(p);
    } else {
      supervisors.push_back(std::move(p));
    }
  }

  CommandResult gale(std::vector<std::string> args) {
    args.insert(args.begin(), kBin + "/gale");
    args.insert(args.begin() + 2, {"--config", yaml});
    return run_command(args);
  }

  std::string topology_id(const std::string& name) {
    auto ids = state->topology_ids();
    if (!ids.ok()) return "";
    for (const auto& id : *ids) {
      auto r = state->topology(id);
      if (r.ok() && *r && (*r)->name == name) return id;
    }
    return "";
  }

  std::uint64_t total(const std::string& id, const std::string& component,
                      const std::string& stat) {
    auto beats = state->heartbeats(id);
    if (!beats.ok()) return 0;
    std::uint64_t sum = 0;
    for (const auto& hb : *beats) {
      const auto& c = hb.stats["components"];
      if (c.contains(component)) sum += c[component][stat].get<std::uint64_t>();
    }
    return sum;
  }

  // The pids of the topology's gale-worker processes in this cluster, sorted. (Topology ids
  // can repeat across the clusters of tests running beside each other; supervisor ids do not.)
  std::vector<pid_t> worker_pids(const std::string& id) {
    std::vector<pid_t> pids;
    auto r = run_command(
        {"/usr/bin/pgrep", "-f", "--",
         "gale-worker run --topology-id " + id + " --supervisor-id " + supervisor_id("")});
    std::istringstream in(r.output);
    for (pid_t pid; in >> pid;) pids.push_back(pid);
    std::sort(pids.begin(), pids.end());
    return pids;
  }

  // The pid of this cluster's gale-worker on `port` (of any of its supervisors' hosts); 0 if
  // none runs there.
  pid_t worker_on_port(int port) {
    auto r = run_command({"/usr/bin/pgrep", "-f", "--",
                          "gale-worker run .* --supervisor-id " + supervisor_id("") + ".* --port " +
                              std::to_string(port) + " "});
    return static_cast<pid_t>(std::atoi(r.output.c_str()));
  }

  std::size_t workers(const std::string& id) {
    auto beats = state->heartbeats(id);
    return beats.ok() ? beats->size() : 0;
  }
};

}  // namespace gale::testing
