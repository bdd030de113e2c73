#include "exporter.h"

#include <algorithm>

#include "gale/metrics/prometheus.h"
#include "scheduler.h"

namespace gale::nimbus {

namespace {

using metrics::Exposition;
using nlohmann::json;
using Type = Exposition::Type;

double number(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

// A heartbeat count: ns and ms are written in seconds, as Prometheus's base unit.
struct ComponentFigure {
  const char* key;
  const char* name;
  Type type;
  double scale;
  const char* help;
};

constexpr ComponentFigure kComponentFigures[] = {
    {"emitted", "gale_component_emitted_total", Type::counter, 1,
     "Tuples emitted (emit calls) by the component's executors in the worker"},
    {"transferred", "gale_component_transferred_total", Type::counter, 1,
     "Tuples sent to tasks (an emit to 3 tasks counts 3)"},
    {"executed", "gale_component_executed_total", Type::counter, 1,
     "Tuples (or acker messages) processed"},
    {"acked", "gale_component_acked_total", Type::counter, 1, "Tuples acked"},
    {"failed", "gale_component_failed_total", Type::counter, 1, "Tuples failed"},
    {"error_count", "gale_component_errors_total", Type::counter, 1,
     "Errors reported by the component's tasks"},
    {"alive_ns", "gale_component_thread_seconds_total", Type::counter, 1e-9,
     "Time the component's executor threads have run (summed over executors)"},
    {"idle_ns", "gale_component_idle_seconds_total", Type::counter, 1e-9,
     "Of the thread time, time spent waiting for input"},
    {"backpressured_ns", "gale_component_backpressured_seconds_total", Type::counter, 1e-9,
     "Of the thread time, time spent waiting for room downstream (backpressure)"},
    {"execute_latency_ms", "gale_component_execute_latency_seconds", Type::gauge, 1e-3,
     "Mean time in execute since the worker started (sampled tuples)"},
    {"process_latency_ms", "gale_component_process_latency_seconds", Type::gauge, 1e-3,
     "Mean time from execute to ack since the worker started (sampled tuples)"},
    {"complete_latency_ms", "gale_component_complete_latency_seconds", Type::gauge, 1e-3,
     "Spouts: mean time from emit to the tuple tree's completion (sampled)"},
    {"capacity", "gale_component_capacity", Type::gauge, 1,
     "Share of the time the executors spent executing (1 = saturated), Storm's capacity"},
    {"executors", "gale_component_executors", Type::gauge, 1, "Executors in the worker"},
    {"tasks", "gale_component_tasks", Type::gauge, 1, "Tasks in the worker"},
};

std::string worker_name(const coordination::WorkerHeartbeat& beat) {
  return beat.host + ":" + std::to_string(beat.port);
}

void add_topology(Exposition& out, const ObservedTopology& t, std::int64_t now) {
  const std::string& name = t.record.name;
  out.add("gale_topology_info", Type::gauge,
          "A submitted topology (always 1), with its id, status and owner",
          {{"topology", name},
           {"id", t.record.id},
           {"status", std::string(coordination::to_string(t.record.status))},
           {"owner", t.record.owner}},
          1);
  out.add("gale_topology_active", Type::gauge, "1 while the topology's spouts run, else 0",
          {{"topology", name}}, t.record.status == coordination::TopologyStatus::active ? 1 : 0);
  std::size_t slots = t.assignment ? slots_of(*t.assignment).size() : 0;
  out.add("gale_topology_workers", Type::gauge, "Worker slots the assignment gives the topology",
          {{"topology", name}}, static_cast<double>(slots));
  out.add("gale_topology_workers_reporting", Type::gauge,
          "Workers of the current assignment with a heartbeat", {{"topology", name}},
          static_cast<double>(t.beats.size()));

  for (const auto& beat : t.beats) {
    MetricLabels worker{{"topology", name}, {"worker", worker_name(beat)}};
    out.add("gale_worker_uptime_seconds", Type::gauge, "Time since the worker process started",
            worker, static_cast<double>(beat.uptime_secs));
    out.add("gale_worker_heartbeat_age_seconds", Type::gauge,
            "Time since the worker's last heartbeat (by Nimbus's clock against the worker's)",
            worker, static_cast<double>(std::max<std::int64_t>(0, now - beat.time_secs)));
    out.add("gale_worker_rejected_batches_total", Type::counter,
            "Messages from other workers the worker refused (corrupt, another epoch, misrouted)",
            worker, number(beat.stats, "rejected_batches"));
    out.add("gale_worker_refused_peers_total", Type::counter,
            "Handshakes refused because the peer did not hold the topology's key", worker,
            number(beat.stats, "refused_peers"));
    out.add("gale_worker_metric_series_dropped", Type::gauge,
            "Metric series the worker left out of its heartbeat (over its limit)", worker,
            number(beat.stats, "metrics_dropped"));
    auto components = beat.stats.find("components");
    if (components == beat.stats.end() || !components->is_object()) continue;
    for (const auto& [component, stats] : components->items()) {
      if (!stats.is_object()) continue;
      MetricLabels labels{{"topology", name}, {"component", component}, worker[1]};
      for (const auto& figure : kComponentFigures)
        out.add(figure.name, figure.type, figure.help, labels,
                number(stats, figure.key) * figure.scale);
      if (auto list = stats.find("metrics"); list != stats.end() && list->is_array())
        for (const auto& j : *list)
          if (auto s = metrics::series_from_json(j)) out.add_series(*s, labels);
    }
  }

  // Checkpoints, as the coordinator's worker reports them.
  for (const auto& beat : t.beats) {
    auto c = beat.stats.find("checkpoints");
    if (c == beat.stats.end() || !c->is_object()) continue;
    MetricLabels labels{{"topology", name}};
    out.add("gale_checkpoints_abandoned_total", Type::counter,
            "Checkpoints abandoned (timed out or declined) since the coordinator's worker started",
            labels, number(*c, "abandoned"));
    auto recent = c->find("recent");
    if (recent == c->end() || !recent->is_array() || recent->empty()) continue;
    const json& last = recent->back();
    out.add("gale_checkpoint_last_id", Type::gauge, "The last completed checkpoint", labels,
            number(last, "id"));
    out.add("gale_checkpoint_last_duration_seconds", Type::gauge,
            "From the last completed checkpoint's trigger to its last part stored", labels,
            number(last, "duration_ms") / 1e3);
    out.add("gale_checkpoint_last_size_bytes", Type::gauge,
            "Bytes every task's part of the last completed checkpoint took", labels,
            number(last, "bytes"));
    out.add("gale_checkpoint_last_timestamp_seconds", Type::gauge,
            "Unix time the last completed checkpoint was triggered", labels,
            number(last, "triggered_ms") / 1e3);
  }
}

}  // namespace

std::string prometheus_text(const std::vector<ObservedTopology>& topologies, const json& cluster,
                            std::int64_t now) {
  Exposition out;
  if (auto supervisors = cluster.find("supervisors");
      supervisors != cluster.end() && supervisors->is_array()) {
    for (const auto& s : *supervisors) {
      MetricLabels labels{{"supervisor", s.value("id", "")}, {"host", s.value("host", "")}};
      out.add("gale_supervisor_slots", Type::gauge, "Worker slots the supervisor offers", labels,
              static_cast<double>(s.value("slots", json::array()).size()));
      out.add("gale_supervisor_slots_used", Type::gauge, "Of its slots, those assigned", labels,
              static_cast<double>(s.value("used", json::array()).size()));
      out.add("gale_supervisor_uptime_seconds", Type::gauge, "Time since the supervisor started",
              labels, number(s, "uptime_secs"));
    }
  }
  out.add("gale_topologies", Type::gauge, "Topologies submitted and not killed", {},
          static_cast<double>(topologies.size()));
  for (const auto& t : topologies) add_topology(out, t, now);
  return out.text();
}

}  // namespace gale::nimbus
