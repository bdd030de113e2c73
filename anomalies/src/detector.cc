#include "gale/anomalies/detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace gale::anomalies {

namespace {

bool is_event(const std::string& rule) {
  return rule == "worker_restarted" || rule == "checkpoint_failed";
}

Anomaly make(std::string rule, std::string severity, const std::string& topology,
             std::string component, std::string figure, double value, double threshold,
             std::string message) {
  Anomaly a;
  a.rule = std::move(rule);
  a.severity = std::move(severity);
  a.topology = topology;
  a.component = std::move(component);
  a.figure = std::move(figure);
  a.value = value;
  a.threshold = threshold;
  a.message = std::move(message);
  return a;
}

}  // namespace

AnomalySettings AnomalySettings::from(const Config& conf) {
  AnomalySettings s;
  s.no_throughput_secs = conf.get_int(conf::kNimbusAnomalyNoThroughputSecs);
  s.failed_per_sec = conf.get_double(conf::kNimbusAnomalyFailedPerSec);
  s.capacity = conf.get_double(conf::kNimbusAnomalyCapacity);
  s.capacity_secs = conf.get_int(conf::kNimbusAnomalyCapacitySecs);
  s.kafka_lag_secs = conf.get_int(conf::kNimbusAnomalyKafkaLagSecs);
  s.event_open_secs = conf.get_int(conf::kNimbusAnomalyEventOpenSecs);
  s.sample_secs = conf.get_int(conf::kNimbusMetricsHistoryIntervalSecs);
  return s;
}

void AnomalyDetector::restore(const std::vector<Anomaly>& open) {
  for (const Anomaly& a : open) {
    open_[a.key()] = a;
    since_[a.key()] = a.raised_secs;
  }
}

void AnomalyDetector::recorded(const Anomaly& a) {
  if (auto it = open_.find(a.key()); it != open_.end()) it->second.id = a.id;
}

void AnomalyDetector::holds(Changes& out, std::int64_t now, Anomaly a, std::int64_t for_secs) {
  std::string key = a.key();
  std::int64_t since = since_.try_emplace(key, now).first->second;
  if (open_.contains(key) || now - since < for_secs) return;
  a.raised_secs = now;
  open_[key] = a;
  out.raised.push_back(std::move(a));
}

void AnomalyDetector::event(Changes& out, std::int64_t now, Anomaly a) {
  std::string key = a.key();
  since_[key] = now;  // an event again keeps its anomaly open longer
  if (open_.contains(key)) return;
  a.raised_secs = now;
  open_[key] = a;
  out.raised.push_back(std::move(a));
}

Changes AnomalyDetector::evaluate(std::int64_t now,
                                  const std::vector<metric_history::Point>& points,
                                  const std::vector<TopologyState>& topologies) {
  Changes out;
  std::set<std::string> held;      // condition keys that hold now
  std::set<std::string> observed;  // topologies with figures in this sample
  std::set<std::string> present;   // topologies that exist
  auto hold = [&](Anomaly a, std::int64_t for_secs) {
    held.insert(a.key());
    holds(out, now, std::move(a), for_secs);
  };

  for (const TopologyState& t : topologies) {
    present.insert(t.topology);
    double emitted = 0, lag = 0;
    bool spout_figures = false, lag_figures = false;
    std::string lag_component;
    for (const auto& p : points) {
      if (p.topology != t.topology) continue;
      observed.insert(t.topology);
      if (p.name == "emitted_per_sec" &&
          std::find(t.spouts.begin(), t.spouts.end(), p.component) != t.spouts.end()) {
        emitted += p.value;
        spout_figures = true;
      } else if (p.name == "failed_per_sec" && p.value > settings_.failed_per_sec) {
        hold(make("failed_tuples", "warning", t.topology, p.component, p.name, p.value,
                  settings_.failed_per_sec,
                  fmt::format("{}/{}: {:.3g} tuples failed a second (more than {:.3g}) for {} s",
                              t.topology, p.component, p.value, settings_.failed_per_sec,
                              settings_.failed_secs)),
             settings_.failed_secs);
      } else if (p.name == "capacity" && p.value > settings_.capacity) {
        hold(make("capacity", "warning", t.topology, p.component, p.name, p.value,
                  settings_.capacity,
                  fmt::format("{}/{}: capacity {:.2f} for {} s (above {:.2f}): it needs more "
                              "executors or its input less",
                              t.topology, p.component, p.value, settings_.capacity_secs,
                              settings_.capacity)),
             settings_.capacity_secs);
      } else if (p.name == "app.kafka_lag") {
        lag += p.value;
        lag_figures = true;
        lag_component = p.component;
      }
    }
    // No figure from any spout (their workers gone or crash-looping) is no throughput either.
    if (t.active && !t.spouts.empty() && (!spout_figures || emitted == 0))
      hold(make("no_throughput", "critical", t.topology, "", "emitted_per_sec", 0, 0,
                fmt::format("{}: its spouts emitted nothing for {} s while it is active",
                            t.topology, settings_.no_throughput_secs)),
           settings_.no_throughput_secs);

    // Kafka lag growing: every sample of the window at least the one before, the last above
    // the first, and the window as long as asked.
    auto& window = lag_[t.topology];
    // A gap in the samples (ZooKeeper away, Nimbus restarted) starts the window again.
    if (!window.empty() && now - window.back().first > 3 * settings_.sample_secs) window.clear();
    bool lag_judged = false;
    if (lag_figures) {
      window.emplace_back(now, lag);
      while (window.size() > 2 && window[1].first <= now - settings_.kafka_lag_secs)
        window.pop_front();
      lag_judged = window.front().first <= now - settings_.kafka_lag_secs;  // a whole window
      bool growing = lag_judged && window.back().second > window.front().second;
      for (std::size_t i = 1; growing && i < window.size(); ++i)
        growing = window[i].second >= window[i - 1].second;
      if (growing)
        hold(make("kafka_lag_growing", "warning", t.topology, lag_component, "app.kafka_lag", lag,
                  window.front().second,
                  fmt::format("{}: Kafka lag grew for {} s, from {:.0f} to {:.0f} messages",
                              t.topology, now - window.front().first, window.front().second, lag)),
             0);
    }
    // No lag figures, or not a whole window since a gap or a restart: no news, an open one
    // stays.
    if (!lag_judged) {
      for (const auto& [k, a] : open_)
        if (a.rule == "kafka_lag_growing" && a.topology == t.topology) held.insert(k);
    }

    for (const auto& w : t.workers) {
      std::string key = t.topology + '\n' + w.worker;
      auto [instance, first] = instances_.try_emplace(key, w.instance);
      bool restarted = !first && !w.instance.empty() && instance->second != w.instance;
      if (restarted) {
        Anomaly a = make(
            "worker_restarted", "warning", t.topology, "", "executed_per_sec", 0, 0,
            fmt::format("{}: the worker at {} restarted (a new process)", t.topology, w.worker));
        a.worker = w.worker;
        event(out, now, std::move(a));
      }
      instance->second = w.instance;
      auto [before, new_worker] = abandoned_.try_emplace(key, w.checkpoints_abandoned);
      if (!new_worker && !restarted && w.checkpoints_abandoned > before->second)
        event(out, now,
              make("checkpoint_failed", "warning", t.topology, "", "", w.checkpoints_abandoned, 0,
                   fmt::format("{}: {:.0f} checkpoint(s) abandoned (timed out or declined); "
                               "{:.0f} since the coordinator's worker started",
                               t.topology, w.checkpoints_abandoned - before->second,
                               w.checkpoints_abandoned)));
      before->second = w.checkpoints_abandoned;
    }
  }

  // Clear what no longer holds: a condition whose topology has figures now and does not meet
  // it (no figures is no news), an event past its time, anything of a topology that is gone.
  for (auto it = open_.begin(); it != open_.end();) {
    const Anomaly& a = it->second;
    bool clear = !present.contains(a.topology) ||
                 (is_event(a.rule) ? now - since_[it->first] >= settings_.event_open_secs
                                   : observed.contains(a.topology) && !held.contains(it->first));
    if (!clear) {
      ++it;
      continue;
    }
    Anomaly cleared = a;
    cleared.cleared_secs = now;
    out.cleared.push_back(std::move(cleared));
    since_.erase(it->first);
    it = open_.erase(it);
  }
  for (auto it = since_.begin(); it != since_.end();) {
    std::string topology = it->first.substr(it->first.find('\n') + 1);
    topology = topology.substr(0, topology.find('\n'));
    bool keep = open_.contains(it->first) || held.contains(it->first) ||
                (present.contains(topology) && !observed.contains(topology));
    it = keep ? std::next(it) : since_.erase(it);
  }
  std::erase_if(lag_, [&](const auto& e) { return !present.contains(e.first); });
  std::erase_if(instances_, [&](const auto& e) {
    return !present.contains(e.first.substr(0, e.first.find('\n')));
  });
  std::erase_if(abandoned_, [&](const auto& e) {
    return !present.contains(e.first.substr(0, e.first.find('\n')));
  });
  return out;
}

}  // namespace gale::anomalies
