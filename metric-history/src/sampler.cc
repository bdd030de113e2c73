#include "gale/metric_history/sampler.h"

#include <algorithm>
#include <array>
#include <set>

#include "gale/metrics/latency.h"
#include "gale/metrics/series.h"

namespace gale::metric_history {

namespace {

using nlohmann::json;

// Heartbeat counts (docs/CLUSTER.md) and the figure each becomes per second.
struct Rate {
  const char* key;
  const char* name;
};
constexpr std::array kRates = {
    Rate{"emitted", "emitted_per_sec"},   Rate{"transferred", "transferred_per_sec"},
    Rate{"executed", "executed_per_sec"}, Rate{"acked", "acked_per_sec"},
    Rate{"failed", "failed_per_sec"},     Rate{"error_count", "errors_per_sec"}};
constexpr std::array kTimes = {"alive_ns", "idle_ns", "backpressured_ns"};
// A mean latency and the heartbeat's sum and count of the sampled tuples behind it.
struct Latency {
  const char* name;
  const char* total_ns;
  const char* samples;
};
constexpr std::array kLatencies = {
    Latency{"execute_latency_ms", "execute_total_ns", "execute_samples"},
    Latency{"process_latency_ms", "process_total_ns", "process_samples"},
    Latency{"complete_latency_ms", "complete_total_ns", "complete_samples"}};

double number(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::vector<std::uint64_t> buckets_of(const json& stats) {
  std::vector<std::uint64_t> out(metrics::kLatencyBuckets);
  auto list = stats.find("complete_latency_buckets");
  if (list == stats.end() || !list->is_array() || list->size() != out.size()) return out;
  for (std::size_t b = 0; b < out.size(); ++b)
    if ((*list)[b].is_number_unsigned()) out[b] = (*list)[b].get<std::uint64_t>();
  return out;
}

std::vector<metrics::Series> series_of(const json& stats) {
  std::vector<metrics::Series> out;
  auto list = stats.find("metrics");
  if (list == stats.end() || !list->is_array()) return out;
  for (const auto& j : *list)
    if (auto s = metrics::series_from_json(j)) (void)metrics::merge(out, *s);
  return out;
}

const metrics::Series* find(const std::vector<metrics::Series>& all, const metrics::Series& s) {
  for (const auto& x : all)
    if (x.name == s.name && x.labels == s.labels && x.kind == s.kind) return &x;
  return nullptr;
}

// a - b of one runtime's count, which only grows: never below 0.
double minus(double a, double b) {
  return a >= b ? a - b : 0;
}

}  // namespace

// One component of one worker over the worker's last interval.
struct ComponentDelta {
  std::map<std::string, double> counts;  // kRates, kTimes and the latencies' sums and counts
  double executors = 0;
  std::vector<std::uint64_t> latency_buckets;
  std::vector<metrics::Series> series;  // counters and histograms as deltas, gauges as levels
};

struct Sampler::Delta {
  double secs = 0;
  std::map<std::string, ComponentDelta> components;
};

namespace {

ComponentDelta delta_of(const json& now, const json* before, bool restarted) {
  static const json empty = json::object();
  const json& b = before && !restarted ? *before : empty;
  ComponentDelta d;
  for (const auto& r : kRates) d.counts[r.key] = minus(number(now, r.key), number(b, r.key));
  for (const char* t : kTimes) d.counts[t] = minus(number(now, t), number(b, t));
  for (const auto& l : kLatencies) {
    d.counts[l.total_ns] = minus(number(now, l.total_ns), number(b, l.total_ns));
    d.counts[l.samples] = minus(number(now, l.samples), number(b, l.samples));
  }
  d.executors = number(now, "executors");
  auto latest = buckets_of(now), earlier = buckets_of(b);
  d.latency_buckets.resize(latest.size());
  for (std::size_t i = 0; i < latest.size(); ++i)
    d.latency_buckets[i] = latest[i] >= earlier[i] ? latest[i] - earlier[i] : 0;
  auto then = series_of(b);
  for (auto s : series_of(now)) {
    const metrics::Series* prior = find(then, s);
    if (s.kind == metrics::Kind::counter) {
      s.value = minus(s.value, prior ? prior->value : 0);
    } else if (s.kind == metrics::Kind::histogram && prior && prior->bounds == s.bounds) {
      for (std::size_t i = 0; i < s.buckets.size(); ++i)
        s.buckets[i] = s.buckets[i] >= prior->buckets[i] ? s.buckets[i] - prior->buckets[i] : 0;
      s.sum = minus(s.sum, prior->sum);
    }
    d.series.push_back(std::move(s));
  }
  return d;
}

// A component's workers' deltas together: counts per second summed over workers (each over its
// own interval), shares and latencies over the summed times and weights.
struct ComponentTotals {
  std::map<std::string, double> per_sec;
  std::map<std::string, double> counts;
  double capacity = 0;
  std::vector<std::uint64_t> latency_buckets = std::vector<std::uint64_t>(metrics::kLatencyBuckets);
  std::vector<metrics::Series> rates;   // counters and histogram counts per second
  std::vector<metrics::Series> levels;  // gauges; histograms' interval buckets

  void add(const ComponentDelta& d, double secs) {
    for (const auto& [k, v] : d.counts) {
      counts[k] += v;
      per_sec[k] += v / secs;
    }
    // Storm's capacity over the interval (executed x the interval's mean execute latency), the
    // busiest worker's.
    double samples = d.counts.at("execute_samples");
    double execute_secs = samples > 0 ? d.counts.at("execute_total_ns") / samples / 1e9 : 0;
    if (d.executors > 0)
      capacity = std::max(capacity, d.counts.at("executed") * execute_secs / secs / d.executors);
    for (std::size_t i = 0; i < latency_buckets.size() && i < d.latency_buckets.size(); ++i)
      latency_buckets[i] += d.latency_buckets[i];
    for (auto s : d.series) {
      if (s.kind == metrics::Kind::gauge) {
        (void)metrics::merge(levels, s);
        continue;
      }
      if (s.kind == metrics::Kind::histogram) (void)metrics::merge(levels, s);
      metrics::Series rate = s;
      rate.kind = metrics::Kind::counter;
      rate.value =
          (s.kind == metrics::Kind::counter ? s.value : static_cast<double>(s.count())) / secs;
      rate.bounds.clear();
      rate.buckets.clear();
      (void)metrics::merge(rates, rate);
    }
  }
};

}  // namespace

std::vector<Point> Sampler::sample(const std::vector<TopologySample>& topologies) {
  std::vector<Point> out;
  std::set<std::string> current;
  for (const auto& topology : topologies) {
    std::map<std::string, ComponentTotals> totals;
    for (const auto& worker : topology.workers) {
      std::string key = topology.topology + '\n' + worker.worker;
      current.insert(key);
      Seen& seen = seen_[key];
      double uptime = number(worker.stats, "uptime_secs");
      if (uptime != seen.uptime_secs && seen.uptime_secs >= 0) {
        // A new heartbeat: the interval since the one before.
        // Another runtime (its start changed, or its uptime went down) counts from zero.
        bool restarted = uptime < seen.uptime_secs ||
                         number(worker.stats, "started_ms") != number(seen.stats, "started_ms");
        auto delta = std::make_shared<Delta>();
        delta->secs = restarted ? uptime : uptime - seen.uptime_secs;
        auto now_components = worker.stats.find("components");
        auto then_components = seen.stats.find("components");
        if (now_components != worker.stats.end() && now_components->is_object())
          for (const auto& [id, c] : now_components->items()) {
            if (!c.is_object()) continue;
            const json* before = nullptr;
            if (then_components != seen.stats.end() && then_components->is_object())
              if (auto it = then_components->find(id); it != then_components->end()) before = &*it;
            delta->components[id] = delta_of(c, before, restarted);
          }
        seen.delta = delta->secs > 0 ? std::move(delta) : nullptr;
      }
      if (uptime != seen.uptime_secs) {
        seen.uptime_secs = uptime;
        seen.stats = worker.stats;
      }
      if (!seen.delta) continue;
      for (const auto& [id, d] : seen.delta->components) totals[id].add(d, seen.delta->secs);
    }
    for (const auto& [component, t] : totals) {
      auto point = [&](std::string name, double value, MetricLabels labels = {}) {
        out.push_back({topology.topology, component, std::move(name), std::move(labels), value});
      };
      for (const auto& r : kRates) point(r.name, t.per_sec.at(r.key));
      double alive = t.counts.at("alive_ns");
      if (alive > 0) {
        double idle = t.counts.at("idle_ns") / alive, bp = t.counts.at("backpressured_ns") / alive;
        point("idle_share", std::min(1.0, idle));
        point("backpressured_share", std::min(1.0, bp));
        point("busy_share", std::max(0.0, 1.0 - idle - bp));
      }
      for (const auto& l : kLatencies) {
        double samples = t.counts.at(l.samples);
        if (samples > 0) point(l.name, t.counts.at(l.total_ns) / samples / 1e6);
      }
      const std::vector<double> bounds(metrics::kLatencyBoundsMs.begin(),
                                       metrics::kLatencyBoundsMs.end());
      std::uint64_t sampled = 0;
      for (auto b : t.latency_buckets) sampled += b;
      if (sampled > 0) {
        point("complete_latency_p50_ms", metrics::quantile(bounds, t.latency_buckets, 0.5));
        point("complete_latency_p99_ms", metrics::quantile(bounds, t.latency_buckets, 0.99));
      }
      point("capacity", t.capacity);
      for (const auto& s : t.rates) point("app." + s.name + ".per_sec", s.value, s.labels);
      for (const auto& s : t.levels) {
        if (s.kind == metrics::Kind::gauge) {
          point("app." + s.name, s.value, s.labels);
        } else if (s.count() > 0) {
          point("app." + s.name + ".p50", s.quantile(0.5), s.labels);
          point("app." + s.name + ".p99", s.quantile(0.99), s.labels);
        }
      }
    }
  }
  // Workers gone (killed, moved) are forgotten.
  std::erase_if(seen_, [&](const auto& entry) { return !current.contains(entry.first); });
  return out;
}

}  // namespace gale::metric_history
