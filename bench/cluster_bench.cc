// gale-cluster-bench: const -> id -> null across two gale-worker processes over ZeroMQ (the
// spout and the null bolt in one worker, the id bolt in the other: every tuple crosses the
// network twice), beside bare ZeroMQ PUSH/PULL moving the same bytes in the same batch size in
// the same run. Starts its own ZooKeeper on 127.0.0.1 and plays Nimbus.
//   gale-cluster-bench [tuples]   (default 5,000,000)
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "gale/coordination/cluster_state.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/testing/zookeeper_server.h"
#include "gale/transport/zmq_transport.h"
#include "inspect.h"
#include "zmq_baseline.h"

extern char** environ;

namespace {

namespace coord = gale::coordination;
using namespace std::chrono_literals;

constexpr long kBatch = 100, kItemBytes = 100;

// Items per second moving `items` items of 100 bytes, 100 per message, over bare ZeroMQ.
double bare_zmq(long items) {
  return static_cast<double>(items) /
         gale::bench::bare_zmq_seconds(items / kBatch,
                                       static_cast<std::size_t>(kBatch * kItemBytes));
}

// Stops the benchmark on a ZooKeeper error, naming it.
void check(const gale::Status& s) {
  if (s.ok()) return;
  std::fprintf(stderr, "gale-cluster-bench: %s\n", s.error().message.c_str());
  std::exit(1);
}

std::int64_t read_ns(const std::string& path) {
  std::ifstream in(path);
  std::int64_t ns = 0;
  in >> ns;
  return ns;
}

// GALE_BENCH_PIN_WORKERS=1: each worker process (all its threads) on a CPU of its own, through
// taskset: the run that shows what the machine's scheduling costs.
pid_t spawn_worker(const std::string& bin, const std::string& zk, const std::string& id, int port,
                   const std::string& artifact, int cpu) {
  std::vector<std::string> args = {bin,
                                   "run",
                                   "--topology-id",
                                   id,
                                   "--supervisor-id",
                                   "bench",
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(port),
                                   "--artifact",
                                   artifact,
                                   "-c",
                                   "storm.zookeeper.servers=" + zk,
                                   "-c",
                                   "storm.zookeeper.root=/gale-bench",
                                   "--log-level",
                                   "error"};
  const char* pin = std::getenv("GALE_BENCH_PIN_WORKERS");
  if (pin && std::string(pin) == "1")
    args.insert(args.begin(), {"/usr/bin/taskset", "-c", std::to_string(cpu)});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  return pid;
}

// CPU seconds a process has used (utime + stime from /proc/<pid>/stat).
double process_cpu_secs(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Runs bench_pipeline on two workers (const and null on one, id on the other) with `settings`
// until it writes bench.done.file; returns that file's text, or "" after 300 s. With
// `idle_secs`, then measures each worker's CPU (share of one core) over that long into
// `idle_cpu`.
std::string run_pipeline(const std::string& zk, coord::ClusterState& state, const std::string& id,
                         int run, const std::map<std::string, std::string>& settings,
                         bool curve = false, double idle_secs = 0,
                         std::vector<double>* idle_cpu = nullptr) {
  auto dir = std::filesystem::temp_directory_path() / id;
  std::filesystem::create_directories(dir);
  std::string start_file = dir / "start", done_file = dir / "done";
  std::string artifact = std::string(GALE_BENCH_TOPOLOGY);

  gale::Config conf;
  conf.set(gale::conf::kTopologyWorkers, 2);
  conf.set(gale::conf::kTopologyMaxSpoutPending, 20000);
  conf.set("bench.start.file", start_file.c_str());
  conf.set("bench.done.file", done_file.c_str());
  for (const auto& [k, v] : settings) conf.set(k, std::string_view(v));
  // GALE_BENCH_CONF="key=value,key=value": settings for every run (e.g. the linger).
  if (const char* extra = std::getenv("GALE_BENCH_CONF")) {
    std::istringstream in(extra);
    for (std::string kv; std::getline(in, kv, ',');)
      if (auto eq = kv.find('='); eq != std::string::npos)
        conf.set(kv.substr(0, eq), std::string_view(kv).substr(eq + 1));
  }
  auto layout = gale::worker::inspect_topology(artifact, conf, {});
  if (!layout) {
    std::fprintf(stderr, "%s\n", layout.error().message.c_str());
    return "";
  }
  int ports[2] = {27000 + run * 2, 27001 + run * 2};
  coord::Assignment a;
  a.topology_id = id;
  a.start_time_secs = run + 1;
  for (const auto& c : layout.value()["components"]) {
    int port = c["id"] == "id" ? ports[1] : ports[0];
    for (const auto& e : c["executors"]) {
      a.executors.push_back({e[0].get<int>(), e[1].get<int>()});
      for (int t = e[0].get<int>(); t <= e[1].get<int>(); ++t)
        a.task_slots[t] = {"bench", "127.0.0.1", port};
    }
  }
  coord::TopologyRecord r{id, id, coord::TopologyStatus::active, {}, "", 2, "bench"};
  for (const auto& [k, v] : conf.entries()) r.config[k] = v.to_string();
  check(state.set_topology(r));
  if (curve) {  // as Nimbus does with security on: the workers then speak CURVE to each other
    auto keys = gale::transport::make_curve_keys();
    check(state.set_credentials(id, {keys.public_key, keys.secret_key}));
  }
  check(state.set_assignment(a));
  pid_t w1 = spawn_worker(GALE_WORKER_BIN, zk, id, ports[0], artifact, 0);
  pid_t w2 = spawn_worker(GALE_WORKER_BIN, zk, id, ports[1], artifact, 1);
  auto deadline = std::chrono::steady_clock::now() + 300s;
  while (!std::filesystem::exists(done_file) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(5ms);  // let the writer finish the line
  std::string text;
  if (std::filesystem::exists(done_file)) {
    std::ifstream in(done_file);
    std::getline(in, text);
    if (std::filesystem::exists(start_file))
      text = std::to_string(read_ns(done_file) - read_ns(start_file));
  }
  if (idle_secs > 0 && idle_cpu) {
    std::this_thread::sleep_for(1s);  // the last acks and flushes
    double before[2] = {process_cpu_secs(w1), process_cpu_secs(w2)};
    std::this_thread::sleep_for(std::chrono::duration<double>(idle_secs));
    for (int i = 0; i < 2; ++i)
      idle_cpu->push_back((process_cpu_secs(i == 0 ? w1 : w2) - before[i]) / idle_secs);
  }
  check(state.remove_assignment(id));
  check(state.remove_credentials(id));
  for (pid_t p : {w1, w2}) {
    kill(p, SIGTERM);
    waitpid(p, nullptr, 0);
  }
  std::filesystem::remove_all(dir);
  return text;
}

// Tuples per second end to end, or 0 on failure.
double cluster_rate(const std::string& zk, coord::ClusterState& state, long tuples, bool acking,
                    int run, bool curve = false) {
  std::string id = std::string("bench-") + (acking ? "on" : "off") + (curve ? "-curve" : "");
  std::string ns = run_pipeline(zk, state, id, run,
                                {{"topology.acker.executors", acking ? "1" : "0"},
                                 {"bench.tuples", std::to_string(tuples)},
                                 {"bench.acking", acking ? "true" : "false"}},
                                curve);
  double secs = ns.empty() ? 0 : std::stod(ns) / 1e9;
  return secs > 0 ? static_cast<double>(tuples) / secs : 0;
}

// Complete-latency percentiles with the spout paced at `rate` for 3 s (`tuples` when given),
// at most kPacedPending trees in flight, and the rate trees completed at.
constexpr long kPacedPending = 1000;

std::string cluster_latency(const std::string& zk, coord::ClusterState& state, double rate, int run,
                            long tuples = 0) {
  if (tuples == 0) tuples = static_cast<long>(rate * 3);
  return run_pipeline(zk, state, "bench-latency-" + std::to_string(run), run,
                      {{"topology.acker.executors", "1"},
                       {"topology.max.spout.pending", std::to_string(kPacedPending)},
                       {"bench.tuples", std::to_string(tuples)},
                       {"bench.rate", std::to_string(rate)}});
}

// The rate in a cluster_latency line ("... completed N/s"), 0 when missing.
double completed_rate(const std::string& line) {
  auto at = line.find("completed ");
  return at == std::string::npos ? 0 : std::stod(line.substr(at + 10));
}

}  // namespace

int main(int argc, char** argv) {
  long tuples = argc > 1 ? std::atol(argv[1]) : 5'000'000;
  std::printf("gale-cluster-bench: %ld tuples of %ld bytes, batches of %ld, two worker processes\n",
              tuples, kItemBytes, kBatch);
  coord::testing::ZooKeeperServer zk;
  auto store = coord::ZooKeeperStore::connect({zk.connect_string(), "/gale-bench"});
  if (!store.ok()) return 1;
  coord::ClusterState state(*store.value());
  check(state.init());
  // Every tuple crosses the network twice: the baseline moves the same bytes (2 x tuples).
  // GALE_BENCH_ONLY=latency: the paced latency runs alone.
  const char* only = std::getenv("GALE_BENCH_ONLY");
  if (only && std::string(only) == "latency") {
    for (double rate : {10000.0, 50000.0, 100000.0})
      std::printf(
          "%-46s %8.0f /s    %s\n", "complete latency, 2 workers, paced", rate,
          cluster_latency(zk.connect_string(), state, rate, static_cast<int>(rate / 1e4)).c_str());
    return 0;
  }
  double baseline = bare_zmq(2 * tuples) / 2;
  double off = cluster_rate(zk.connect_string(), state, tuples, false, 0);
  double on = cluster_rate(zk.connect_string(), state, tuples, true, 1);
  auto row = [](const char* what, double v, const char* base_name, double base, double target) {
    double ratio = v / base;
    std::printf(
        "%-46s %8.2f M/s   baseline %-34s %8.2f M/s   ratio %5.1f%%  target >= %.0f%%  %s\n", what,
        v / 1e6, base_name, base / 1e6, ratio * 100, target * 100,
        ratio >= target ? "MET" : "SHORT");
  };
  row("const->id->null, 2 workers, acking off", off, "bare ZeroMQ, same bytes and batches",
      baseline, 0.5);
  row("const->id->null, 2 workers, acking on", on, "acking off", off, 0.4);
  // The cost of authenticated, encrypted worker-to-worker traffic (issue 9): CURVE against the
  // plain run above, same tuples, same machine, same run.
  double curve_off = cluster_rate(zk.connect_string(), state, tuples, false, 4, true);
  std::printf("%-46s %8.2f M/s   plain (above) %8.2f M/s   ratio %5.1f%%\n",
              "const->id->null, 2 workers, acking off, CURVE", curve_off / 1e6, off / 1e6,
              off > 0 ? curve_off / off * 100 : 0.0);
  // The sustainable rate, measured with the paced spout itself (unpaced), pending capped.
  double sustainable =
      completed_rate(cluster_latency(zk.connect_string(), state, 1e12, 2, tuples / 4));
  std::printf("%-46s %8.0f /s    (paced spout unpaced, max.spout.pending %ld)\n",
              "sustainable paced rate, 2 workers, acking on", sustainable, kPacedPending);
  int run = 5;
  for (double rate : {10000.0, 50000.0, 100000.0, sustainable / 2})
    std::printf("%-46s %8.0f /s    %s\n", "complete latency, 2 workers, paced", rate,
                cluster_latency(zk.connect_string(), state, rate, run++).c_str());
  // Idle: both workers once their 1,000 tuples are done, over 20 s (GALE_BENCH_IDLE_SECS).
  double idle_secs =
      std::getenv("GALE_BENCH_IDLE_SECS") ? std::stod(std::getenv("GALE_BENCH_IDLE_SECS")) : 20.0;
  std::vector<double> idle;
  run_pipeline(
      zk.connect_string(), state, "bench-idle", run++,
      {{"topology.acker.executors", "1"}, {"bench.tuples", "1000"}, {"bench.acking", "true"}},
      false, idle_secs, &idle);
  if (idle.size() == 2)
    std::printf("%-46s %7.2f %% and %.2f %% of a core   (over %.0f s; target <= 1 %%)\n",
                "idle workers' CPU (spout polled)", idle[0] * 100, idle[1] * 100, idle_secs);
  return 0;
}
