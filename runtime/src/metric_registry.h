#pragma once
// The metrics a component's tasks in this process register (gale/metrics.h), kept apart by
// task, read by Runtime::stats() from any thread. Registration takes a lock; updating a metric
// does not.
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gale/metrics.h"
#include "gale/metrics/series.h"

namespace gale::runtime {

class MetricRegistry {
 public:
  // `max_series`: per task (topology.metrics.max.series).
  explicit MetricRegistry(std::size_t max_series);
  ~MetricRegistry();

  // The task's group; lives as long as the registry.
  MetricGroup& group(int task);

  // Adds every task's series into `into`, summed by name and labels.
  void collect(std::vector<metrics::Series>& into) const;
  // A registration past the limit, once per task: the message names it.
  std::vector<std::string> errors() const;

 private:
  class TaskGroup;
  struct Entry {
    int task = 0;
    std::string name;
    metrics::Kind kind = metrics::Kind::counter;
    GaugeCombine combine = GaugeCombine::sum;
    MetricLabels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  // Returns the entry for the task, name and labels, creating it if there is room; throws
  // std::invalid_argument for a bad name, labels, bounds or another kind under the name.
  Entry* find_or_add(int task, std::string_view name, metrics::Kind kind, MetricLabels labels,
                     const std::vector<double>* bounds, GaugeCombine combine = GaugeCombine::sum);

  const std::size_t max_series_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // by task, name and labels
  std::map<int, std::size_t> per_task_;
  std::map<int, std::unique_ptr<TaskGroup>> groups_;
  std::vector<std::string> errors_;
  // What a registration past the limit gets: works, never reported.
  Counter unreported_counter_;
  Gauge unreported_gauge_;
  Histogram unreported_histogram_{{}};
};

}  // namespace gale::runtime
