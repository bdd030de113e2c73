#pragma once
// Counters one executor thread writes and any thread reads. Each counter has a single writer,
// so increments are a relaxed load and store (no locked instruction on the hot path).
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// A bolt's tuples executed per input (source component, stream), for the console's per-edge
// rates. Counted on the sampled tuples only (topology.stats.sample.rate), each standing for
// `sample_every` tuples, as Storm's per-input counts are: a map lookup on one tuple in 20 at the
// default rate, not on every tuple. The executor thread alone adds (inserting under the lock);
// readers take the lock.
class InputCounts {
 public:
  // Adds `n` to the count of (component, stream), the input that `schema` stands for (a tuple's
  // stream schema: one per component and stream for the process's life). Called by the
  // executing thread only: it finds its counter by the schema's address among those it met,
  // without comparing or copying a name; a new input takes the lock once.
  void add(const void* schema, const std::string& component, const std::string& stream,
           std::uint64_t n) {
    for (const auto& [key, counter] : met_)
      if (key == schema) {
        if (counter) counter->add(n);
        return;
      }
    Counter* counter = insert(component, stream);
    met_.emplace_back(schema, counter);  // null: over kMaxInputs, not counted
    if (counter) counter->add(n);
  }
  template <typename F>
  void read(F&& f) const {  // f(component, stream, executed)
    std::lock_guard lock(mu_);
    for (const auto& [key, count] : counts_) f(key.first, key.second, count.get());
  }

 private:
  static constexpr std::size_t kMaxInputs = 256;
  using Key = std::pair<std::string, std::string>;
  Counter* insert(const std::string& component, const std::string& stream) {
    std::lock_guard lock(mu_);
    auto it = counts_.find(Key{component, stream});
    if (it == counts_.end()) {
      if (counts_.size() >= kMaxInputs) return nullptr;
      it = counts_.try_emplace(Key{component, stream}).first;
    }
    return &it->second;
  }
  mutable std::mutex mu_;
  std::map<Key, Counter> counts_;  // a map: its nodes stay where they are while others are added
  std::vector<std::pair<const void*, Counter*>> met_;  // the executing thread's alone
};

struct ExecutorStats {
  Counter emitted, transferred, executed, acked, failed;
  LatencyStat execute, process, complete;
  InputCounts inputs;

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
