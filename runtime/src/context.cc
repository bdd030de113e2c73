#include <algorithm>

#include "executor.h"

namespace gale::runtime {
namespace {

class TaskContext final : public TopologyContext {
 public:
  TaskContext(const Runtime& runtime, int task)
      : layout_(runtime.layout()),
        worker_tasks_(runtime.worker_tasks()),
        task_(task),
        metrics_(runtime.metrics_of(task)),
        settings_(runtime.live_settings()) {}

  const std::string& topology_name() const override { return layout_.topology_name(); }
  int this_task() const override { return task_; }
  const std::string& this_component() const override { return component_of(task_); }
  int this_task_index() const override {
    const auto& tasks = layout_.component(layout_.component_of_task(task_)).tasks;
    return static_cast<int>(std::find(tasks.begin(), tasks.end(), task_) - tasks.begin());
  }
  const std::vector<int>& component_tasks(std::string_view component) const override {
    static const std::vector<int> none;
    int i = layout_.component_index(component);
    return i < 0 ? none : layout_.component(i).tasks;
  }
  const std::string& component_of(int task) const override {
    static const std::string none;
    if (task < 1 || task > layout_.task_count()) return none;
    return layout_.component(layout_.component_of_task(task)).id;
  }
  const Fields& output_fields(std::string_view component, std::string_view stream) const override {
    static const Fields none;
    int i = layout_.component_index(component);
    if (i < 0) return none;
    const StreamInfo* s = layout_.component(i).stream(stream);
    return s ? s->schema.fields : none;
  }
  const std::vector<int>& worker_tasks() const override { return worker_tasks_; }
  bool checkpointing() const override { return layout_.checkpointing(); }
  MetricGroup& metrics() const override { return metrics_; }
  const LiveSettings& settings() const override { return settings_; }

 private:
  const Layout& layout_;
  const std::vector<int>& worker_tasks_;
  int task_;
  MetricGroup& metrics_;
  const LiveSettings& settings_;
};

}  // namespace

std::unique_ptr<TopologyContext> make_context(const Runtime& runtime, int task) {
  return std::make_unique<TaskContext>(runtime, task);
}

}  // namespace gale::runtime
