#pragma once
// Counters one executor thread writes and any thread reads. Each counter has a single writer,
// so increments are a relaxed load and store (no locked instruction on the hot path).
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

#include "gale/metrics/latency.h"

namespace gale::runtime {

class Counter {
 public:
  void add(std::uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct LatencyStat {
  Counter total_ns;
  Counter samples;
  std::array<Counter, metrics::kLatencyBuckets> buckets;  // by metrics::kLatencyBoundsMs
  void record(std::int64_t ns) {
    total_ns.add(static_cast<std::uint64_t>(ns > 0 ? ns : 0));
    samples.add();
    double ms = static_cast<double>(ns) / 1e6;
    auto b =
        std::lower_bound(metrics::kLatencyBoundsMs.begin(), metrics::kLatencyBoundsMs.end(), ms) -
        metrics::kLatencyBoundsMs.begin();
    buckets[static_cast<std::size_t>(b)].add();
  }
  double mean_ms() const {
    auto n = samples.get();
    return n ? static_cast<double>(total_ns.get()) / static_cast<double>(n) / 1e6 : 0.0;
  }
};

struct ExecutorStats {
  Counter emitted, transferred, executed, acked, failed;
  LatencyStat execute, process, complete;

  void report_error(std::string_view message) {
    std::lock_guard lock(mu_);
    ++error_count_;
    errors_.emplace_back(message);
    if (errors_.size() > 10) errors_.pop_front();
  }
  template <typename F>
  void read_errors(F&& f) const {
    std::lock_guard lock(mu_);
    f(error_count_, errors_);
  }

 private:
  mutable std::mutex mu_;
  std::uint64_t error_count_ = 0;
  std::deque<std::string> errors_;
};

}  // namespace gale::runtime
