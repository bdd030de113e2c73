#include "statistics.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>

namespace gale::nimbus {

namespace {

constexpr std::array kCounts = {"executors", "tasks", "emitted", "transferred",
                                "executed",  "acked", "failed",  "error_count"};

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

  void add(const nlohmann::json& stats) {
    if (auto kind_it = stats.find("kind"); kind_it != stats.end() && kind_it->is_string())
      kind = kind_it->get<std::string>();
    for (const char* key : kCounts) counts[key] += number(stats, key);
    for (const auto& latency : kLatencies)
      weighted[latency.key] += number(stats, latency.key) * number(stats, latency.weight);
    capacity = std::max(capacity, number(stats, "capacity"));
  }

  nlohmann::json to_json() const {
    nlohmann::json out{{"kind", kind}, {"capacity", capacity}};
    for (const char* key : kCounts) out[key] = static_cast<std::int64_t>(counts.at(key));
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
