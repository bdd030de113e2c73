#pragma once
// A bolt's tasks inside an executor: the executor's own component (BoltExecutor) or a bolt
// chained into any executor. Executes input tuples, delivers tick tuples, anchors emits and
// sends acks and fails to the ackers. On the executor thread only.
#include <memory>
#include <span>
#include <vector>

#include "executor.h"
#include "gale/components.h"

namespace gale::runtime {

class BoltStage final : public Stage {
 public:
  BoltStage(Executor& executor, int executor_index);
  ~BoltStage() override;

  // Creates the tasks' bolts and calls prepare().
  void prepare();
  // Runs one input tuple for `task`, one of this stage's.
  void execute(int task, const Tuple& t);
  // Delivers the tick tuples that are due.
  void deliver_ticks();
  // When the next tick tuple is due; kNoLimit without tick tuples.
  std::int64_t next_tick_ns() const;
  void cleanup();
  // The tuple a chained emit fills before execute(): one per stage, reused.
  Tuple& input() { return input_; }

 private:
  class Collector;
  struct Task {
    int id = 0;
    std::unique_ptr<Bolt> bolt;
    std::unique_ptr<TopologyContext> context;
    std::unique_ptr<Collector> collector;
  };

  void execute(Task& task, const Tuple& t);
  void emit(Task& task, std::string_view stream, std::span<const Tuple* const> anchors,
            const Values& values, int direct_task);
  void ack(const Tuple& input);
  void fail(const Tuple& input);
  Task& task_for(int task) { return tasks_[static_cast<std::size_t>(task - first_task_)]; }

  Executor& executor_;
  std::vector<Task> tasks_;
  int first_task_ = 0;
  std::int64_t tick_every_ns_ = 0;
  std::int64_t next_tick_ns_ = 0;
  Tuple tick_;
  Tuple input_;
};

template <typename F>
void Executor::for_each_stage(F&& f) const {
  f(static_cast<const Stage&>(*head_));
  for (const auto& s : chained_) f(static_cast<const Stage&>(*s));
}

}  // namespace gale::runtime
