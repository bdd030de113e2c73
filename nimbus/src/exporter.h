#pragma once
// Nimbus's /metrics: what it sees of the cluster and every topology, in Prometheus's text
// format (docs/METRICS.md has every family). Series are per worker (labels topology, component,
// worker): each worker's counters only grow until it restarts, which Prometheus's rate()
// handles; sums over workers are the query's. Tasks are not a label: a component's tasks in one
// worker are summed, which keeps the series to workers x components (x the topology's own
// labels, capped per task by topology.metrics.max.series). Pure function.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "topology_service.h"

namespace gale::nimbus {

// `cluster`: TopologyService::cluster()'s answer; `now`: Unix seconds.
std::string prometheus_text(const std::vector<ObservedTopology>& topologies,
                            const nlohmann::json& cluster, std::int64_t now);

}  // namespace gale::nimbus
