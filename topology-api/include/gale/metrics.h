#pragma once
// Metrics a topology registers for its own figures (Storm's registerMetric, Flink's metric
// groups): counters, gauges and histograms, each named and labelled, registered through
// TopologyContext::metrics() in open()/prepare() (or later, for a label value first seen in a
// tuple). The runtime reads them with each heartbeat; Nimbus sums a component's tasks and
// workers, keeps the history and serves them (the API, Prometheus's /metrics as
// gale_app_<name>, the console). docs/METRICS.md has the names and limits.
//
//   Counter& tx = context.metrics().counter("transactions");              // in prepare()
//   Counter& alerts = context.metrics().counter("alerts", {{"rule", r}, {"severity", s}});
//   tx.add();                                                             // in execute()
//
// A metric lives as long as its task. Each call is safe from any thread, and cheap: a counter's
// add is one relaxed atomic add; a gauge's set reads the clock (for GaugeCombine::latest); a
// histogram searches its bounds and adds to a bucket and its sum. A value that is not a finite
// number (NaN, infinity) is left out of gauges and histograms.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gale {

// Label names and their values: [a-z_][a-z0-9_]* names (not topology, component, task, worker,
// le or starting with __), values of at most kMaxMetricLabelValue bytes.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::size_t kMaxMetricNameLength = 64;
inline constexpr std::size_t kMaxMetricLabels = 4;
inline constexpr std::size_t kMaxMetricLabelValue = 128;
inline constexpr std::size_t kMaxHistogramBounds = 32;

// Counts that only go up: events, amounts paid out. Summed over tasks and workers.
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// How a component's gauge is made of its tasks' (and workers'): `sum`, when each task sets the
// part it owns (as a fields-grouped bolt owns its keys); `latest`, the value set last, when any
// task may observe the whole figure (a total read back from a database).
enum class GaugeCombine { sum, latest };

// A level that goes up and down: a balance, a queue length.
class Gauge {
 public:
  void set(double v);
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }
  // Unix time in ms of the last set() or add() (0: never).
  std::int64_t updated_ms() const { return updated_ms_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
  std::atomic<std::int64_t> updated_ms_{0};
};

// A distribution in fixed buckets (Prometheus's cumulative `le` buckets are made from these):
// bucket i counts observations <= bounds[i] and > bounds[i-1]; the last one, above every
// bound. Tasks' buckets add up, so percentiles hold over a whole component.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // bounds().size() + 1 counts, and the sum of the observations.
  std::vector<std::uint64_t> buckets() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<double> sum_{0};
};

// A task's metrics. Registering the same name and labels again returns the same metric; the
// same name as another kind, a bad name or label, or bounds that are not finite and
// ascending, or a gauge registered again with the other GaugeCombine throw
// std::invalid_argument naming it. Past a task's limit of series
// (topology.metrics.max.series) a registration returns a metric that works but is not
// reported, and the component shows one error naming it.
class MetricGroup {
 public:
  virtual ~MetricGroup() = default;
  virtual Counter& counter(std::string_view name, const MetricLabels& labels = {}) = 0;
  virtual Gauge& gauge(std::string_view name, const MetricLabels& labels = {},
                       GaugeCombine combine = GaugeCombine::sum) = 0;
  virtual Histogram& histogram(std::string_view name, const std::vector<double>& bounds,
                               const MetricLabels& labels = {}) = 0;
};

}  // namespace gale
