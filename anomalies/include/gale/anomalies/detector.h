#pragma once
// Anomaly monitoring (docs/METRICS.md, "Anomalies"): rules over the metric history's points and
// what the heartbeats show, evaluated at every sample. A condition rule (no throughput, failed
// tuples, capacity, Kafka lag growing) raises once its condition has held for its time and
// clears when the condition stops; an event rule (a worker restarted, a checkpoint failed)
// raises on the event and clears `event_open_secs` later. Pure: no clock, no I/O.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gale/config.h"
#include "gale/metric_history/sampler.h"

namespace gale::anomalies {

struct AnomalySettings {
  std::int64_t no_throughput_secs = 120;  // an active topology's spouts emitted nothing
  double failed_per_sec = 1;              // a component failed more tuples a second than this
  std::int64_t failed_secs = 30;          // ... for this long (a rate near the limit: no flapping)
  double capacity = 0.9;                  // a component's capacity above this ...
  std::int64_t capacity_secs = 60;        // ... for this long
  std::int64_t kafka_lag_secs = 300;      // a topology's Kafka lag grew all this time
  std::int64_t event_open_secs = 300;     // how long an event stays open
  std::int64_t sample_secs = 10;          // the samples' spacing: a longer gap restarts windows
  // From the nimbus.anomaly.* keys (defaults in the config schema).
  static AnomalySettings from(const Config& conf);
};

struct Anomaly {
  std::int64_t id = 0;   // given by the log
  std::string rule;      // no_throughput, failed_tuples, capacity, kafka_lag_growing,
                         // worker_restarted, checkpoint_failed
  std::string severity;  // "critical" or "warning"
  std::string topology;
  std::string component;  // "" when the rule is about the topology
  std::string worker;     // host:port, for worker_restarted
  std::string message;    // one line, for a person
  std::string figure;     // the history figure that shows it ("" none): the console draws it
  double value = 0;
  double threshold = 0;
  std::int64_t raised_secs = 0;
  std::optional<std::int64_t> cleared_secs;

  // What identifies one open anomaly: a rule on one topology, component and worker.
  std::string key() const { return rule + '\n' + topology + '\n' + component + '\n' + worker; }
};

// A topology as the heartbeats show it at a sample.
struct TopologyState {
  std::string topology;
  bool active = true;
  std::vector<std::string> spouts;  // its spout components
  struct Worker {
    std::string worker;    // host:port
    std::string instance;  // the worker process's random id (a new one: it restarted)
    double checkpoints_abandoned = 0;
  };
  std::vector<Worker> workers;
};

struct Changes {
  std::vector<Anomaly> raised;
  std::vector<Anomaly> cleared;  // with cleared_secs set
};

class AnomalyDetector {
 public:
  explicit AnomalyDetector(AnomalySettings settings) : settings_(settings) {}

  // Anomalies open when Nimbus last stopped, so that they clear when their condition is gone.
  void restore(const std::vector<Anomaly>& open);
  Changes evaluate(std::int64_t now_secs, const std::vector<metric_history::Point>& points,
                   const std::vector<TopologyState>& topologies);
  // The id the log gave a raised anomaly, so that its clearing names it.
  void recorded(const Anomaly& a);

 private:
  // A condition held now: raised once held long enough.
  void holds(Changes& out, std::int64_t now, Anomaly a, std::int64_t for_secs);
  void event(Changes& out, std::int64_t now, Anomaly a);

  AnomalySettings settings_;
  std::map<std::string, std::int64_t> since_;     // condition key -> since when it holds
  std::map<std::string, Anomaly> open_;           // by key
  std::map<std::string, std::string> instances_;  // topology + worker -> instance
  std::map<std::string, double> abandoned_;       // topology + worker -> checkpoints abandoned
  std::map<std::string, std::deque<std::pair<std::int64_t, double>>> lag_;  // by topology
};

}  // namespace gale::anomalies
