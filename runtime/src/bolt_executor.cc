// Runs bolt tasks: executes each input tuple, delivers tick tuples, anchors emits and sends
// acks and fails to the ackers.
#include "executor.h"
#include "gale/components.h"
#include "tuple_access.h"

namespace gale::runtime {

using detail::TupleAccess;

class BoltExecutor final : public Executor {
 public:
  BoltExecutor(Runtime& runtime, int index) : Executor(runtime, index) {}
  ~BoltExecutor() override { join(); }

 private:
  class Collector;
  struct Task {
    int id = 0;
    std::unique_ptr<Bolt> bolt;
    std::unique_ptr<TopologyContext> context;
    std::unique_ptr<Collector> collector;
  };

  void prepare() override;
  bool work() override;
  void shutdown() override;

  void execute(Task& task, const Tuple& t);
  void emit(Task& task, std::string_view stream, std::span<const Tuple* const> anchors,
            const Values& values, int direct_task);
  void ack(const Tuple& input);
  void fail(const Tuple& input);
  void deliver_ticks();
  Task& task_for(int task) { return tasks_[static_cast<std::size_t>(task - first_task_)]; }

  std::vector<Task> tasks_;
  int first_task_ = 0;
  std::int64_t tick_every_ns_ = 0;
  std::int64_t next_tick_ns_ = 0;
  Tuple tick_;
};

class BoltExecutor::Collector final : public OutputCollector {
 public:
  Collector(BoltExecutor& executor, Task& task) : executor_(executor), task_(task) {}
  void ack(const Tuple& input) override { executor_.ack(input); }
  void fail(const Tuple& input) override { executor_.fail(input); }
  void report_error(std::string_view message) override {
    executor_.report_error(task_.id, message);
  }

 protected:
  void do_emit(std::string_view stream, std::span<const Tuple* const> anchors, const Values& values,
               int direct_task) override {
    executor_.emit(task_, stream, anchors, values, direct_task);
  }

 private:
  BoltExecutor& executor_;
  Task& task_;
};

void BoltExecutor::prepare() {
  first_task_ = info_.tasks.front();  // an executor's tasks are consecutive
  tasks_.resize(info_.tasks.size());
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    Task& t = tasks_[i];
    t.id = info_.tasks[i];
    t.bolt = component_.def->bolt();
    t.context = make_context(runtime_, t.id);
    t.collector = std::make_unique<Collector>(*this, t);
    t.bolt->prepare(component_.config, *t.context, *t.collector);
  }
  std::int64_t tick_secs = component_.config.get_int(conf::kTopologyTickTupleFreqSecs);
  tick_every_ns_ = tick_secs * kNanosPerSecond;
  next_tick_ns_ = now() + tick_every_ns_;
  TupleAccess::reset(tick_, &layout_.tick_schema(), -1, Values{tick_secs});
}

bool BoltExecutor::work() {
  BatchPtr b = take_self_batch();
  if (!b && !inbox().try_pop(b)) {
    deliver_ticks();
    return false;
  }
  mark_busy();
  for (std::size_t i = 0; i < b->size; ++i) execute(task_for(b->targets[i]), b->tuples[i]);
  BatchPool::release(std::move(b));
  flush();  // what this batch produced goes on now: output batches follow input batches
  deliver_ticks();
  return true;
}

void BoltExecutor::execute(Task& task, const Tuple& t) {
  std::int64_t start = 0;
  if (sample_now()) {
    start = now();
    TupleAccess::sample_ns(const_cast<Tuple&>(t)) = start;
  }
  try {
    task.bolt->execute(t);
  } catch (const std::exception& e) {
    report_error(task.id, e.what());
    fail(t);
  }
  stats_.executed.add();
  if (start) stats_.execute.record(now() - start);
}

void BoltExecutor::deliver_ticks() {
  if (tick_every_ns_ <= 0) return;
  std::int64_t t = now();
  while (t >= next_tick_ns_) {
    next_tick_ns_ += tick_every_ns_;
    for (auto& task : tasks_) execute(task, tick_);
  }
}

void BoltExecutor::emit(Task& task, std::string_view stream, std::span<const Tuple* const> anchors,
                        const Values& values, int direct_task) {
  const StreamInfo& s = route(task.id, stream, values, direct_task);
  bool acking = layout_.acking();
  for (int target : targets_) {
    Tuple& out = slot_for(target);
    TupleAccess::reset(out, &s.schema, task.id, values);
    if (!acking) continue;
    // Storm's anchoring: a fresh edge id per (target, anchor), XORed into the anchor's ack
    // value and into the new tuple's value for each of the anchor's roots.
    for (const Tuple* a : anchors) {
      const auto& roots = TupleAccess::anchors(*a);
      if (roots.empty()) continue;
      std::uint64_t edge = ids_.next();
      TupleAccess::ack_val(*a) ^= edge;
      for (const auto& [root, value] : roots)
        detail::xor_anchor(TupleAccess::anchors(out), root, edge);
    }
  }
  stats_.emitted.add();
  stats_.transferred.add(targets_.size());
  if (debug_) log_emit(task.id, s, values);
}

void BoltExecutor::ack(const Tuple& input) {
  if (layout_.acking()) {
    std::uint64_t mine = TupleAccess::ack_val(input);
    for (const auto& [root, value] : TupleAccess::anchors(input))
      send_ack({AckMessage::Kind::ack, 0, root, value ^ mine});
  }
  stats_.acked.add();
  if (auto s = TupleAccess::sample_ns(input)) stats_.process.record(now() - s);
}

void BoltExecutor::fail(const Tuple& input) {
  if (layout_.acking()) {
    for (const auto& [root, value] : TupleAccess::anchors(input))
      send_ack({AckMessage::Kind::fail, 0, root, 0});
  }
  stats_.failed.add();
}

void BoltExecutor::shutdown() {
  for (auto& t : tasks_) {
    try {
      t.bolt->cleanup();
    } catch (const std::exception& e) {
      report_error(t.id, e.what());
    }
  }
}

std::unique_ptr<Executor> make_bolt_executor(Runtime& runtime, int index) {
  return std::make_unique<BoltExecutor>(runtime, index);
}

}  // namespace gale::runtime
