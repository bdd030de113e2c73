#pragma once
// Turns what the workers' heartbeats say now into per-interval figures, component by component:
// rates, latencies and shares over the time since each worker's previous heartbeat, and the
// topology's own metrics (counters as rates, gauges as levels, histograms as p50 / p99 / rate).
// Heartbeat figures are counts since the worker's runtime started; a runtime that started again
// (its uptime went down) counts from zero. Each worker's deltas are taken over its own clock
// (the runtime's uptime), so a heartbeat that comes late does not bend a rate; a worker whose
// heartbeat has not changed since the last sample repeats its last deltas.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gale/metrics.h"

namespace gale::metric_history {

// A worker as a heartbeat shows it: `stats` is the heartbeat's (docs/CLUSTER.md).
struct WorkerSample {
  std::string worker;  // host:port
  nlohmann::json stats;
};

struct TopologySample {
  std::string topology;
  std::vector<WorkerSample> workers;
};

// One figure of one component at one time (docs/METRICS.md, "History" names them).
struct Point {
  std::string topology;
  std::string component;
  std::string name;
  MetricLabels labels;
  double value = 0;
};

class Sampler {
 public:
  // The figures since each worker's previous heartbeat; nothing for a worker seen for the first
  // time (there is no interval yet).
  std::vector<Point> sample(const std::vector<TopologySample>& topologies);

 private:
  struct Delta;  // one worker's figures over its last interval (sampler.cc)
  struct Seen {
    double uptime_secs = -1;
    nlohmann::json stats;
    std::shared_ptr<const Delta> delta;  // null until a second heartbeat
  };
  std::map<std::string, Seen> seen_;  // by topology and worker
};

}  // namespace gale::metric_history
