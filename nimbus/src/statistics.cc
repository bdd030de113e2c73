#include "statistics.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>

#include "gale/metrics/latency.h"
#include "gale/metrics/series.h"

namespace gale::nimbus {

namespace {

constexpr std::size_t kMaxErrors = 20;
constexpr std::size_t kMaxInputs = 256;  // inputs kept per component (a worker's are bounded too)

constexpr std::array kCounts = {"executors", "tasks",   "emitted",         "transferred",
                                "executed",  "acked",   "failed",          "error_count",
                                "alive_ns",  "idle_ns", "backpressured_ns"};

struct Latency {
  const char* key;
  const char* weight;  // the count it is weighted by
};
constexpr std::array kLatencies = {Latency{"execute_latency_ms", "executed"},
                                   Latency{"process_latency_ms", "executed"},
                                   Latency{"complete_latency_ms", "acked"}};

double number(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Running sums for one component: counts, and latency x weight.
struct Totals {
  std::string kind;
  std::map<std::string, double> counts;
  std::map<std::string, double> weighted;
  double capacity = 0;
  std::vector<metrics::Series> series;
  std::vector<std::string> errors;
  std::map<std::pair<std::string, std::string>, std::uint64_t> inputs;  // (from, stream)
  std::vector<std::uint64_t> latency_buckets = std::vector<std::uint64_t>(metrics::kLatencyBuckets);

  void add(const nlohmann::json& stats) {
    if (auto kind_it = stats.find("kind"); kind_it != stats.end() && kind_it->is_string())
      kind = kind_it->get<std::string>();
    for (const char* key : kCounts) counts[key] += number(stats, key);
    for (const auto& latency : kLatencies)
      weighted[latency.key] += number(stats, latency.key) * number(stats, latency.weight);
    capacity = std::max(capacity, number(stats, "capacity"));
    if (auto list = stats.find("metrics"); list != stats.end() && list->is_array())
      for (const auto& j : *list)
        if (auto s = metrics::series_from_json(j)) (void)metrics::merge(series, *s);
    if (auto list = stats.find("complete_latency_buckets");
        list != stats.end() && list->is_array() && list->size() == metrics::kLatencyBuckets)
      for (std::size_t b = 0; b < metrics::kLatencyBuckets; ++b)
        if ((*list)[b].is_number_unsigned()) latency_buckets[b] += (*list)[b].get<std::uint64_t>();
    if (auto list = stats.find("inputs"); list != stats.end() && list->is_array())
      for (const auto& i : *list)
        if (i.is_object() && i.value("from", nlohmann::json()).is_string() &&
            i.value("stream", nlohmann::json()).is_string() &&
            i.value("executed", nlohmann::json()).is_number_unsigned() &&
            (inputs.size() < kMaxInputs ||
             inputs.contains({i["from"].get<std::string>(), i["stream"].get<std::string>()})))
          inputs[{i["from"].get<std::string>(), i["stream"].get<std::string>()}] +=
              i["executed"].get<std::uint64_t>();
    if (auto list = stats.find("last_errors"); list != stats.end() && list->is_array())
      for (const auto& e : *list)
        if (e.is_string() && errors.size() < kMaxErrors) errors.push_back(e.get<std::string>());
  }

  nlohmann::json to_json() const {
    nlohmann::json out{{"kind", kind}, {"capacity", capacity}};
    for (const char* key : kCounts) out[key] = static_cast<std::int64_t>(counts.at(key));
    // Shares of the executor threads' time since they started (the history has them per
    // interval).
    double alive = counts.at("alive_ns"), idle = counts.at("idle_ns"),
           backpressured = counts.at("backpressured_ns");
    out["idle_share"] = alive > 0 ? std::min(1.0, idle / alive) : 0.0;
    out["backpressured_share"] = alive > 0 ? std::min(1.0, backpressured / alive) : 0.0;
    out["busy_share"] = alive > 0 ? std::max(0.0, 1.0 - (idle + backpressured) / alive) : 0.0;
    // Since the workers started; the history has them per interval.
    const std::vector<double> bounds(metrics::kLatencyBoundsMs.begin(),
                                     metrics::kLatencyBoundsMs.end());
    out["complete_latency_p50_ms"] = metrics::quantile(bounds, latency_buckets, 0.5);
    out["complete_latency_p99_ms"] = metrics::quantile(bounds, latency_buckets, 0.99);
    out["metrics"] = metrics::to_json(series);
    out["last_errors"] = errors;
    // Bolts: tuples executed per input (estimated from the sampled ones), for per-edge rates.
    out["inputs"] = nlohmann::json::array();
    for (const auto& [input, executed] : inputs)
      out["inputs"].push_back(
          {{"from", input.first}, {"stream", input.second}, {"executed", executed}});
    for (const auto& latency : kLatencies) {
      double weight = counts.at(latency.weight);
      out[latency.key] = weight > 0 ? weighted.at(latency.key) / weight : 0.0;
    }
    return out;
  }
};

}  // namespace

nlohmann::json aggregate_components(const std::vector<coordination::WorkerHeartbeat>& beats) {
  std::map<std::string, Totals> totals;
  for (const auto& beat : beats) {
    auto components = beat.stats.find("components");
    if (components == beat.stats.end() || !components->is_object()) continue;
    for (const auto& [id, stats] : components->items())
      if (stats.is_object()) totals[id].add(stats);
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [id, total] : totals) out[id] = total.to_json();
  return out;
}

}  // namespace gale::nimbus
