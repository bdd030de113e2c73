#pragma once
// Statistics of a running topology, per component, as the CLI prints them.
#include <cstdint>
#include <string>
#include <vector>

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
  double capacity = 0;             // bolts: share of the time spent executing (1.0 = saturated)
  std::uint64_t error_count = 0;
  std::vector<std::string> last_errors;  // newest last, at most 10
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
