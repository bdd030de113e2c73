#include "gale/runtime/stats.h"

#include <fmt/format.h>

namespace gale::runtime {

std::string format_stats(const TopologyStats& stats) {
  std::string out =
      fmt::format("topology '{}' — uptime {:.1f} s\n", stats.topology, stats.uptime_secs);
  out += fmt::format(
      "{:<16} {:<10} {:>4} {:>5} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9} {:>8} {:>6}\n",
      "component", "kind", "exec", "tasks", "emitted", "transferred", "executed", "acked", "failed",
      "exec-ms", "proc-ms", "compl-ms", "capacity", "errors");
  for (const auto& c : stats.components) {
    out += fmt::format(
        "{:<16} {:<10} {:>4} {:>5} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9.3f} {:>9.3f} {:>9.3f} "
        "{:>8.3f} {:>6}\n",
        c.id, c.kind, c.executors, c.tasks, c.emitted, c.transferred, c.executed, c.acked, c.failed,
        c.execute_latency_ms, c.process_latency_ms, c.complete_latency_ms, c.capacity,
        c.error_count);
  }
  if (!stats.checkpoints.empty()) {
    const CheckpointSummary& last = stats.checkpoints.back();
    out +=
        fmt::format("checkpoints: last #{} took {} ms, {} bytes in {} parts; {} abandoned\n",
                    last.id, last.duration_ms, last.bytes, last.parts, stats.checkpoints_abandoned);
  }
  for (const auto& c : stats.components) {
    for (const auto& e : c.last_errors) out += fmt::format("error in {}: {}\n", c.id, e);
  }
  return out;
}

}  // namespace gale::runtime
