#pragma once
// What a task knows about itself and the topology. Implemented by the runtime; valid from
// open()/prepare() until close()/cleanup(); read-only and safe to use from any thread.
#include <string>
#include <string_view>
#include <vector>

#include "gale/metrics.h"
#include "gale/settings.h"
#include "gale/value.h"

namespace gale {

class TopologyContext {
 public:
  virtual ~TopologyContext() = default;

  virtual const std::string& topology_name() const = 0;
  virtual int this_task() const = 0;
  virtual const std::string& this_component() const = 0;
  // Index of this task among its component's tasks: 0 .. component_tasks().size()-1.
  virtual int this_task_index() const = 0;

  // Sorted task ids of a component; empty for an unknown component.
  virtual const std::vector<int>& component_tasks(std::string_view component) const = 0;
  // The component that runs a task; empty for an unknown task.
  virtual const std::string& component_of(int task) const = 0;
  // Declared fields of a component's stream; empty for an unknown one.
  virtual const Fields& output_fields(std::string_view component,
                                      std::string_view stream) const = 0;
  // Tasks running in this worker process (all of them in local mode).
  virtual const std::vector<int>& worker_tasks() const = 0;
  // The topology takes checkpoints (gale/state.h): a source's position is then what the
  // checkpoints hold, and it commits positions only once a checkpoint holding them completed.
  virtual bool checkpointing() const { return false; }
  // This task's metrics (gale/metrics.h), reported with the worker's heartbeats.
  virtual MetricGroup& metrics() const = 0;
  // The topology's changeable settings now (gale/settings.h), shared by its tasks in this
  // worker.
  virtual const LiveSettings& settings() const = 0;
};

}  // namespace gale
