#include "gale/runtime/stats.h"

#include <fmt/format.h>

namespace gale::runtime {

namespace {

double share(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

std::string series_name(const metrics::Series& s) {
  std::string out = s.name;
  if (s.labels.empty()) return out;
  out += '{';
  for (std::size_t i = 0; i < s.labels.size(); ++i)
    out += fmt::format("{}{}=\"{}\"", i ? "," : "", s.labels[i].first, s.labels[i].second);
  return out + '}';
}

}  // namespace

std::string format_stats(const TopologyStats& stats) {
  std::string out =
      fmt::format("topology '{}' — uptime {:.1f} s\n", stats.topology, stats.uptime_secs);
  out += fmt::format(
      "{:<16} {:<10} {:>4} {:>5} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9} {:>8} {:>6} "
      "{:>6} {:>6}\n",
      "component", "kind", "exec", "tasks", "emitted", "transferred", "executed", "acked", "failed",
      "exec-ms", "proc-ms", "compl-ms", "capacity", "busy%", "bp%", "errors");
  for (const auto& c : stats.components) {
    std::uint64_t waits = c.idle_ns + c.backpressured_ns;
    double busy = c.alive_ns > waits ? share(c.alive_ns - waits, c.alive_ns) : 0.0;
    out += fmt::format(
        "{:<16} {:<10} {:>4} {:>5} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9.3f} {:>9.3f} {:>9.3f} "
        "{:>8.3f} {:>6.1f} {:>6.1f} {:>6}\n",
        c.id, c.kind, c.executors, c.tasks, c.emitted, c.transferred, c.executed, c.acked, c.failed,
        c.execute_latency_ms, c.process_latency_ms, c.complete_latency_ms, c.capacity, busy,
        share(c.backpressured_ns, c.alive_ns), c.error_count);
  }
  for (const auto& c : stats.components) {
    for (const auto& s : c.metrics) {
      if (s.kind == metrics::Kind::histogram)
        out += fmt::format("metric {} {}: count {}, p50 {:.3f}, p99 {:.3f}\n", c.id, series_name(s),
                           s.count(), s.quantile(0.5), s.quantile(0.99));
      else
        out += fmt::format("metric {} {}: {:.6g}\n", c.id, series_name(s), s.value);
    }
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
