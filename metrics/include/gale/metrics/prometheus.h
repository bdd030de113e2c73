#pragma once
// Prometheus's text exposition format (version 0.0.4): families of samples, each family once
// with its # HELP and # TYPE lines and its samples together, label values escaped. Debian 12
// has no prometheus-cpp; the format is small and specified
// (prometheus.io/docs/instrumenting/exposition_formats), so it is written here.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gale/metrics.h"
#include "gale/metrics/series.h"

namespace gale::metrics {

class Exposition {
 public:
  enum class Type { counter, gauge, histogram };

  // One sample of family `name` (which gets `type` and `help` from its first sample; a sample
  // of another type under a name already taken is left out). Counter families' names end in
  // _total; the caller names them so.
  void add(std::string_view name, Type type, std::string_view help, const MetricLabels& labels,
           double value);
  // A histogram's _bucket (cumulative, with le), _sum and _count samples.
  void add_histogram(std::string_view name, std::string_view help, const MetricLabels& labels,
                     const std::vector<double>& bounds, const std::vector<std::uint64_t>& buckets,
                     double sum);
  // A reported series as gale_app_<name> (counters: gale_app_<name>_total), with `labels`
  // (topology, component, worker) before its own.
  void add_series(const Series& s, const MetricLabels& labels);

  // The families in the order they were first added.
  std::string text() const;

 private:
  struct Family {
    Type type;
    std::string help;
    std::string samples;
  };
  Family* family(std::string_view name, Type type, std::string_view help);
  std::vector<std::string> order_;
  std::map<std::string, Family, std::less<>> families_;
};

// Content-Type of the text format.
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace gale::metrics
