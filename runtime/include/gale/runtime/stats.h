#pragma once
// Statistics of a running topology, per component, as the CLI prints them.
#include <cstdint>
#include <string>
#include <vector>

#include "gale/metrics/series.h"

namespace gale::runtime {

struct ComponentStats {
  std::string id;
  std::string kind;  // "spout", "bolt", "acker", "checkpoint"
  int executors = 0;
  int tasks = 0;
  std::uint64_t emitted = 0;      // emit calls
  std::uint64_t transferred = 0;  // tuples sent to tasks (an emit to 3 tasks counts 3)
  std::uint64_t executed = 0;     // tuples (or acker messages) processed
  std::uint64_t acked = 0;
  std::uint64_t failed = 0;
  double execute_latency_ms = 0;   // bolts: time in execute (sampled)
  double process_latency_ms = 0;   // bolts: from execute start to ack (sampled)
  double complete_latency_ms = 0;  // spouts: from emit to the tree's completion (sampled)
  // Spouts: the sampled complete latencies by metrics::kLatencyBoundsMs.
  std::vector<std::uint64_t> complete_latency_buckets;
  // The sums and counts behind the three means, so that an interval's mean can be taken.
  std::uint64_t execute_total_ns = 0, execute_samples = 0;
  std::uint64_t process_total_ns = 0, process_samples = 0;
  std::uint64_t complete_total_ns = 0, complete_samples = 0;
  double capacity = 0;  // bolts: share of the time spent executing (1.0 = saturated)
  std::uint64_t error_count = 0;
  std::vector<std::string> last_errors;  // newest last, at most 10
  // The executor threads running it (summed): how long they ran, and of that how long they
  // waited for input and for room downstream; the rest they were busy. A chained bolt shares
  // its parent's thread, so both show that thread's time.
  std::uint64_t alive_ns = 0, idle_ns = 0, backpressured_ns = 0;
  // The component's registered metrics (gale/metrics.h), summed over its tasks here.
  std::vector<metrics::Series> metrics;
  // Bolts: tuples executed per input, estimated from the sampled ones (runtime/README.md).
  struct Input {
    std::string from;  // the source component
    std::string stream;
    std::uint64_t executed = 0;
  };
  std::vector<Input> inputs;
};

// A completed checkpoint, as the coordinator saw it (docs/STATE.md).
struct CheckpointSummary {
  std::uint64_t id = 0;
  std::int64_t triggered_ms = 0;  // Unix time
  std::int64_t duration_ms = 0;   // from the trigger to the last part stored
  std::uint64_t bytes = 0;        // every task's part
  int parts = 0;
};

struct TopologyStats {
  std::string topology;
  double uptime_secs = 0;
  // Unix time (ms) this runtime started: a new one is a new runtime, whose counts start at 0.
  std::int64_t started_unix_ms = 0;
  std::vector<ComponentStats> components;
  // Messages from other workers this process refused (corrupt, another epoch, wrong executor).
  std::uint64_t rejected_batches = 0;
  // With checkpoints, in the process running the coordinator: the latest completed ones
  // (oldest first, at most kRecentCheckpoints) and how many were abandoned.
  static constexpr std::size_t kRecentCheckpoints = 20;
  std::vector<CheckpointSummary> checkpoints;
  std::uint64_t checkpoints_abandoned = 0;

  const ComponentStats* find(const std::string& id) const {
    for (const auto& c : components)
      if (c.id == id) return &c;
    return nullptr;
  }
};

// A fixed-width table, one row per component, then the last errors if any.
std::string format_stats(const TopologyStats& stats);

}  // namespace gale::runtime
