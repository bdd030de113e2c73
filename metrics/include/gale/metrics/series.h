#pragma once
// One reported metric series: a topology's registered counter, gauge or histogram (gale/metrics.h)
// as a worker reads it, and as Nimbus sums it over tasks and workers. The JSON form travels in
// heartbeats (docs/CLUSTER.md, "Heartbeat stats") and in the API.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gale/metrics.h"
#include "gale/result.h"

namespace gale::metrics {

enum class Kind { counter, gauge, histogram };
std::string_view to_string(Kind kind);

// The q-quantile (0..1) of observations in buckets (bucket i: <= bounds[i]; the last: above
// them all), interpolated inside its bucket as Prometheus's histogram_quantile does; 0 with no
// observations; the last bound when it falls above them all.
double quantile(const std::vector<double>& bounds, const std::vector<std::uint64_t>& buckets,
                double q);

struct Series {
  std::string name;
  Kind kind = Kind::counter;
  MetricLabels labels;  // sorted by name
  double value = 0;     // a counter's count, a gauge's level
  // Gauges: summed over tasks and workers, or the one set last (updated_ms, Unix ms).
  GaugeCombine combine = GaugeCombine::sum;
  std::int64_t updated_ms = 0;
  // Histograms: bucket i counts observations <= bounds[i] (the last: above every bound).
  std::vector<double> bounds;
  std::vector<std::uint64_t> buckets;
  double sum = 0;

  std::uint64_t count() const;
  // The q-quantile of a histogram (metrics::quantile).
  double quantile(double q) const { return metrics::quantile(bounds, buckets, q); }
};

// Checks a metric name and its labels (gale/metrics.h); the error names what is wrong. Sorts
// the labels by name.
Status check_name(std::string_view name);
Status check_labels(MetricLabels& labels);
Status check_bounds(const std::vector<double>& bounds);

// Adds `s` into the series of `into` with its name and labels, or appends it: counts, levels
// and buckets add up (a `latest` gauge keeps the value set last). A series of the same name with
// another kind or other bounds is not merged: returns an error naming it, and `into` is unchanged.
Status merge(std::vector<Series>& into, const Series& s);

nlohmann::json to_json(const Series& s);
nlohmann::json to_json(const std::vector<Series>& series);
// A malformed series (a worker's heartbeat is another process's word) is an error naming it.
Result<Series> series_from_json(const nlohmann::json& j);

}  // namespace gale::metrics
