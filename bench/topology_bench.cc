// gale-bench: whole-topology throughput and memory, each beside a same-run baseline.
//   gale-bench [tuples]   (default 20,000,000)
#include <gale/gale.h>

#include <algorithm>
#include <array>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gale/runtime/local_cluster.h"
#include "pipeline.h"

namespace {

using Clock = std::chrono::steady_clock;
using gale::bench::ConstSpout;
using gale::bench::IdBolt;
using gale::bench::kItemBytes;
using namespace std::chrono_literals;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

// Baseline: N 100-byte items from one thread to another through a bare lock-free SPSC queue
// (boost::lockfree), pushed and popped `batch` at a time (1: item by item).
double spsc_baseline(std::int64_t n, std::size_t batch) {
  using Item = std::array<char, kItemBytes>;
  boost::lockfree::spsc_queue<Item, boost::lockfree::capacity<32768>> q;
  auto t0 = Clock::now();
  std::thread consumer([&] {
    std::vector<Item> items(batch);
    std::int64_t got = 0;
    std::uint64_t check = 0;
    while (got < n) {
      std::size_t k = q.pop(items.data(), batch);
      for (std::size_t i = 0; i < k; ++i) check += static_cast<unsigned char>(items[i][0]);
      got += static_cast<std::int64_t>(k);
    }
    if (check == 1) std::puts("");  // keep the reads
  });
  std::vector<Item> items(batch);
  for (auto& item : items) std::memset(item.data(), 'x', item.size());
  for (std::int64_t sent = 0; sent < n;) {
    std::size_t want = std::min<std::int64_t>(static_cast<std::int64_t>(batch), n - sent);
    sent += static_cast<std::int64_t>(q.push(items.data(), want));
  }
  consumer.join();
  return static_cast<double>(n) / seconds_since(t0);
}

struct Shared {
  std::atomic<std::int64_t> done{0};
};

// A null bolt that publishes its count for the benchmark thread to watch.
std::unique_ptr<gale::bench::NullBolt> counting_null(const std::shared_ptr<Shared>& shared,
                                                     bool ack) {
  return std::make_unique<gale::bench::NullBolt>(
      ack, [shared](std::int64_t n) { shared->done.store(n, std::memory_order_relaxed); });
}

gale::Topology pipeline(std::int64_t n, bool tracked, bool null_acks,
                        const std::shared_ptr<Shared>& shared, bool says_when_done = false) {
  gale::TopologyBuilder b;
  b.set_spout("const",
              [=] { return std::make_unique<ConstSpout>(n, tracked, nullptr, says_when_done); });
  b.set_bolt("id", [] { return std::make_unique<IdBolt>(); }).local_or_shuffle_grouping("const");
  b.set_bolt("null", [=] {
     return counting_null(shared, null_acks);
   }).local_or_shuffle_grouping("id");
  return b.build();
}

// Tuples per second through const → id → null, until the null bolt has seen all n.
double pipeline_rate(std::int64_t n, bool acking, bool chaining, double* complete_ms = nullptr) {
  auto shared = std::make_shared<Shared>();
  gale::Config conf;
  conf.set(gale::conf::kTopologyAckerExecutors, acking ? 1 : 0);
  conf.set(gale::conf::kTopologyMaxSpoutPending, 20000);
  conf.set(gale::conf::kTopologyChaining, chaining);
  gale::runtime::LocalCluster cluster("bench", pipeline(n, acking, acking, shared), conf);
  auto t0 = Clock::now();
  cluster.start();
  while (shared->done.load(std::memory_order_relaxed) < n) std::this_thread::sleep_for(1ms);
  double rate = static_cast<double>(n) / seconds_since(t0);
  cluster.drain(30s);
  cluster.stop();
  if (complete_ms) *complete_ms = cluster.stats().find("const")->complete_latency_ms;
  return rate;
}

// Paced spout -> id -> null, acking on, at most kPacedPending trees in flight per spout task.
// `rate` 0: as fast as the topology completes trees (the sustainable rate, returned).
constexpr std::int64_t kPacedPending = 1000;

double paced(double rate, double seconds, bool chaining, bool print) {
  auto latencies = std::make_shared<gale::bench::Latencies>();
  auto shared = std::make_shared<Shared>();
  gale::TopologyBuilder b;
  double spout_rate = rate > 0 ? rate : 1e12;
  auto total = static_cast<std::int64_t>(rate > 0 ? rate * seconds : 20'000'000);
  b.set_spout("paced", [=] {
    return std::make_unique<gale::bench::PacedSpout>(spout_rate, total, latencies);
  });
  b.set_bolt("id", [] { return std::make_unique<IdBolt>(); }).local_or_shuffle_grouping("paced");
  b.set_bolt("null", [=] { return counting_null(shared, true); }).local_or_shuffle_grouping("id");
  gale::Config conf;
  conf.set(gale::conf::kTopologyMaxSpoutPending, kPacedPending);
  conf.set(gale::conf::kTopologyChaining, chaining);
  gale::runtime::LocalCluster cluster("latency", b.build(), conf);
  cluster.start();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  double completed = static_cast<double>(cluster.stats().find("paced")->acked);
  cluster.deactivate();
  cluster.drain(30s);
  cluster.stop();
  if (print) {
    char what[80];
    std::snprintf(what, sizeof what, "complete latency, paced, chaining %s",
                  chaining ? "on" : "off");
    std::printf("%-44s %10.0f /s    %s\n", what, rate,
                gale::bench::percentiles(*latencies).c_str());
  }
  return completed / seconds;
}

// RSS growth while `n` tuples stay in the topology (the null bolt never acks): tracked, so
// that each holds a pending entry in the spout and a tree in the acker, or untracked.
long rss_growth_holding(std::int64_t n, bool tracked) {
  auto shared = std::make_shared<Shared>();
  gale::TopologyBuilder b;
  b.set_spout("const", [=] { return std::make_unique<ConstSpout>(n, tracked); });
  b.set_bolt("null", [=] { return counting_null(shared, false); }).shuffle_grouping("const");
  gale::Config conf;
  conf.set(gale::conf::kTopologyMaxSpoutPending, 0);
  conf.set(gale::conf::kTopologyMessageTimeoutSecs, 3600);
  gale::runtime::LocalCluster cluster("pending", b.build(), conf);
  long before = rss_kib();
  cluster.start();
  while (shared->done.load() < n) std::this_thread::sleep_for(1ms);
  cluster.wait_idle(10s);
  long after = rss_kib();
  cluster.stop();
  return after - before;
}

// Bytes per tracked tuple held pending (the spout's pending entry and the acker's tree): the
// RSS growth with n tracked tuples held, less the growth with n untracked ones (same batches,
// same tuples, no pending state), over n.
double bytes_per_pending(std::int64_t n) {
  long untracked = rss_growth_holding(n, false);
  long tracked = rss_growth_holding(n, true);
  return static_cast<double>(tracked - untracked) * 1024.0 / static_cast<double>(n);
}

double process_cpu_secs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Share of one core the process uses over `secs` of wall time.
double cpu_share_over(double secs) {
  double cpu0 = process_cpu_secs();
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  return (process_cpu_secs() - cpu0) / seconds_since(t0);
}

// A topology with nothing to do: const -> id -> null with an acker, its 1,000 tuples done.
// Its CPU over `secs` beside the process's CPU over the same time before it started; with a
// spout that is polled (as any spout by default), and with one that said its input had ended.
double idle_cpu(double secs, bool says_when_done, long* rss) {
  auto shared = std::make_shared<Shared>();
  gale::runtime::LocalCluster cluster("idle", pipeline(1000, true, true, shared, says_when_done),
                                      gale::Config{});
  cluster.start();
  while (shared->done.load() < 1000) std::this_thread::sleep_for(1ms);
  cluster.wait_idle(10s);
  if (rss) *rss = rss_kib();
  double cpu = cpu_share_over(secs);
  cluster.stop();
  return cpu;
}

void idle_cost(double secs) {
  long base = rss_kib();
  double base_cpu = cpu_share_over(secs);
  long running = 0;
  double polled = idle_cpu(secs, false, &running);
  double ended = idle_cpu(secs, true, nullptr);
  std::printf("%-44s %10.1f MiB   (process before start: %.1f MiB, topology adds %.1f MiB)\n",
              "idle worker RSS (const/id/null + acker)", running / 1024.0, base / 1024.0,
              (running - base) / 1024.0);
  auto line = [&](const char* what, double cpu) {
    std::printf(
        "%-44s %9.2f %%     (process before start: %.2f %%, over %.0f s each; target <= 1 %%) %s\n",
        what, cpu * 100, base_cpu * 100, secs, cpu <= 0.01 ? "MET" : "SHORT");
  };
  line("idle topology CPU, spout polled", polled);
  line("idle topology CPU, spout said its input ended", ended);
}

void report(const char* what, double value, const char* baseline_name, double baseline,
            double target) {
  double ratio = value / baseline;
  std::printf("%-44s %10.2f M/s   baseline %-28s %8.2f M/s   ratio %5.1f%%", what, value / 1e6,
              baseline_name, baseline / 1e6, ratio * 100);
  if (target > 0) {
    std::printf("  target >= %.0f%%  %s\n", target * 100, ratio >= target ? "MET" : "SHORT");
  } else {
    std::printf("  (reference only)\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t n = argc > 1 ? std::stoll(argv[1]) : 20'000'000;
  std::printf("gale-bench: %lld tuples of %zu bytes, %u hardware threads\n",
              static_cast<long long>(n), kItemBytes, std::thread::hardware_concurrency());
  idle_cost(std::getenv("GALE_BENCH_IDLE_SECS") ? std::stod(std::getenv("GALE_BENCH_IDLE_SECS"))
                                                : 20.0);
  // GALE_BENCH_ONLY=pipeline: just the acking-off pipeline, for profiling (callgrind's
  // instruction counts); GALE_BENCH_CHAINING=off runs it in three threads.
  if (const char* only = std::getenv("GALE_BENCH_ONLY"); only && std::string(only) == "pipeline") {
    const char* chaining = std::getenv("GALE_BENCH_CHAINING");
    const bool chained = !chaining || std::string(chaining) != "off";
    std::printf("const->id->null, acking off, chaining %s: %.2f M/s\n", chained ? "on" : "off",
                pipeline_rate(n, false, chained) / 1e6);
    return 0;
  }
  double spsc = spsc_baseline(n, 1);
  double spsc_batched = spsc_baseline(n, 100);
  // Chaining on (the default: id and null run in the spout's thread) and off (three threads).
  for (bool chaining : {true, false}) {
    std::printf("-- topology.chaining %s\n", chaining ? "on" : "off");
    double off = pipeline_rate(n, false, chaining);
    report("const->id->null, acking off", off, "bare SPSC queue", spsc, 0.5);
    // Batched, the bare queue is a memcpy: a ceiling for reference, not the target's baseline.
    report("const->id->null, acking off", off, "bare SPSC queue, batches of 100", spsc_batched, 0);
    double complete_ms = 0;
    double on = pipeline_rate(n / 4, true, chaining, &complete_ms);
    report("const->id->null, acking on", on, "acking off", off, 0.4);
    std::printf("%-44s %10.3f ms (mean, sampled; at full load)\n", "complete latency, acking on",
                complete_ms);
    double sustainable = paced(0, 3.0, chaining, false);
    std::printf("%-44s %10.0f /s    (paced spout unpaced, max.spout.pending %lld)\n",
                "sustainable paced rate, acking on", sustainable,
                static_cast<long long>(kPacedPending));
    paced(10000, 3.0, chaining, true);
    paced(100000, 3.0, chaining, true);
    paced(sustainable / 2, 3.0, chaining, true);
  }
  std::printf("%-44s %10.0f bytes\n", "memory per pending tracked tuple",
              bytes_per_pending(2'000'000));
  return 0;
}
