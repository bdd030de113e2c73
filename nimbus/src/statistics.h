#pragma once
// Sums the per-component statistics of a topology's worker heartbeats (docs/CLUSTER.md,
// "Heartbeat stats"): counts add up; execute and process latencies are weighted by executed
// counts, complete latency by acked counts; capacity is the busiest worker's. Pure functions.
#include <nlohmann/json.hpp>
#include <vector>

#include "gale/coordination/records.h"

namespace gale::nimbus {

// {"<component>": {"kind", "executors", "tasks", "emitted", ..., "capacity", "error_count",
// "busy_share", "idle_share", "backpressured_share", "metrics": [series], "last_errors"}}.
// Malformed or missing fields in a heartbeat count as zero; a malformed series is left out.
nlohmann::json aggregate_components(const std::vector<coordination::WorkerHeartbeat>& beats);

}  // namespace gale::nimbus
