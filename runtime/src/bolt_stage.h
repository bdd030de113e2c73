#pragma once
// A bolt's tasks inside an executor: the executor's own component (BoltExecutor) or a bolt
// chained into any executor. Executes input tuples, delivers tick tuples, anchors emits and
// sends acks and fails to the ackers. On the executor thread only.
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "executor.h"
#include "gale/components.h"
#include "task_state.h"

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
    // Checkpoints: a stateful bolt's states; the barrier being aligned (0: none), which inputs
    // (by input slot) have sent it, and the tuples held back from those inputs meanwhile, in
    // order; the last checkpoint this task passed.
    std::unique_ptr<TaskState> state;
    CheckpointId aligning = 0;
    std::vector<char> got;
    int got_count = 0;
    std::deque<Tuple> held;
    CheckpointId passed = 0;
  };

  void execute(Task& task, const Tuple& t);
  // With checkpoints: takes barriers and holds tuples back while aligning. True when `t` was
  // taken (not to be executed now).
  bool align(Task& task, const Tuple& t);
  void on_barrier(Task& task, int slot, CheckpointId id);
  // Ends the alignment in progress and executes the held tuples.
  void release(Task& task);
  void init_state(Task& task);
  void emit(Task& task, std::string_view stream, std::span<const Tuple* const> anchors,
            const Values& values, int direct_task);
  void ack(const Tuple& input);
  void fail(const Tuple& input);
  Task& task_for(int task) { return tasks_[static_cast<std::size_t>(task - first_task_)]; }

  Executor& executor_;
  std::vector<Task> tasks_;
  bool checkpointing_ = false;
  std::vector<int> input_slot_;  // by source task: its index in barrier_inputs, -1 if none
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
