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
                        const std::shared_ptr<Shared>& shared) {
  gale::TopologyBuilder b;
  b.set_spout("const", [=] { return std::make_unique<ConstSpout>(n, tracked); });
  b.set_bolt("id", [] { return std::make_unique<IdBolt>(); }).local_or_shuffle_grouping("const");
  b.set_bolt("null", [=] {
     return counting_null(shared, null_acks);
   }).local_or_shuffle_grouping("id");
  return b.build();
}

// Tuples per second through const → id → null, until the null bolt has seen all n.
double pipeline_rate(std::int64_t n, bool acking, double* complete_ms = nullptr) {
  auto shared = std::make_shared<Shared>();
  gale::Config conf;
  conf.set(gale::conf::kTopologyAckerExecutors, acking ? 1 : 0);
  conf.set(gale::conf::kTopologyMaxSpoutPending, 20000);
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

void paced_latency(double rate, double seconds) {
  auto latencies = std::make_shared<gale::bench::Latencies>();
  auto shared = std::make_shared<Shared>();
  gale::TopologyBuilder b;
  auto total = static_cast<std::int64_t>(rate * seconds);
  b.set_spout("paced",
              [=] { return std::make_unique<gale::bench::PacedSpout>(rate, total, latencies); });
  b.set_bolt("id", [] { return std::make_unique<IdBolt>(); }).local_or_shuffle_grouping("paced");
  b.set_bolt("null", [=] { return counting_null(shared, true); }).local_or_shuffle_grouping("id");
  gale::Config conf;
  conf.set(gale::conf::kTopologyMaxSpoutPending, 0);
  if (const char* park = std::getenv("GALE_BENCH_PARK_US")) {
    conf.set(gale::conf::kTopologySpoutWaitParkMicrosec, park);
    conf.set(gale::conf::kTopologyBoltWaitParkMicrosec, park);
  }
  gale::runtime::LocalCluster cluster("latency", b.build(), conf);
  cluster.start();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  cluster.drain(30s);
  cluster.stop();
  std::printf("%-44s %10.0f /s    %s\n", "complete latency, acking on, paced", rate,
              gale::bench::percentiles(*latencies).c_str());
}

// Bytes per tracked tuple held pending (spout's pending map and the acker's), measured as
// the growth of RSS while `n` trees stay open.
double bytes_per_pending(std::int64_t n) {
  auto shared = std::make_shared<Shared>();
  gale::TopologyBuilder b;
  b.set_spout("const", [=] { return std::make_unique<ConstSpout>(n, true); });
  b.set_bolt("null", [=] { return counting_null(shared, false); }).shuffle_grouping("const");
  gale::Config conf;
  conf.set(gale::conf::kTopologyMaxSpoutPending, 0);
  conf.set(gale::conf::kTopologyMessageTimeoutSecs, 3600);
  gale::runtime::LocalCluster cluster("pending", b.build(), conf);
  long before = rss_kib();  // includes start-up (threads, queues): small beside n trees
  cluster.start();
  while (shared->done.load() < n) std::this_thread::sleep_for(1ms);
  cluster.wait_idle(10s);
  long after = rss_kib();
  cluster.stop();
  return static_cast<double>(after - before) * 1024.0 / static_cast<double>(n);
}

void idle_memory() {
  long base = rss_kib();
  auto shared = std::make_shared<Shared>();
  gale::runtime::LocalCluster cluster("idle", pipeline(0, true, true, shared), gale::Config{});
  cluster.start();
  std::this_thread::sleep_for(500ms);
  long running = rss_kib();
  cluster.stop();
  std::printf("%-44s %10.1f MiB   (process before start: %.1f MiB, topology adds %.1f MiB)\n",
              "idle worker RSS (const/id/null + acker)", running / 1024.0, base / 1024.0,
              (running - base) / 1024.0);
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
  idle_memory();
  // GALE_BENCH_ONLY=pipeline: just the acking-off pipeline, for profiling.
  if (const char* only = std::getenv("GALE_BENCH_ONLY"); only && std::string(only) == "pipeline") {
    std::printf("const->id->null, acking off: %.2f M/s\n", pipeline_rate(n, false) / 1e6);
    return 0;
  }
  double spsc = spsc_baseline(n, 1);
  double spsc_batched = spsc_baseline(n, 100);
  double off = pipeline_rate(n, false);
  report("const->id->null, acking off", off, "bare SPSC queue", spsc, 0.5);
  // Batched, the bare queue is a memcpy: a ceiling for reference, not the target's baseline.
  report("const->id->null, acking off", off, "bare SPSC queue, batches of 100", spsc_batched, 0);
  double complete_ms = 0;
  double on = pipeline_rate(n / 4, true, &complete_ms);
  report("const->id->null, acking on", on, "acking off", off, 0.4);
  std::printf("%-44s %10.3f ms (mean, sampled; at full load)\n", "complete latency, acking on",
              complete_ms);
  paced_latency(on / 2, 3.0);
  paced_latency(100000, 2.0);  // a moderate rate: the latency floor
  std::printf("%-44s %10.0f bytes\n", "memory per pending tracked tuple",
              bytes_per_pending(1'000'000));
  return 0;
}
