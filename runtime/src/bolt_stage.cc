#include "bolt_stage.h"

#include "tuple_access.h"

namespace gale::runtime {

using detail::TupleAccess;

class BoltStage::Collector final : public OutputCollector {
 public:
  Collector(BoltStage& stage, Task& task) : stage_(stage), task_(task) {}
  void ack(const Tuple& input) override { stage_.ack(input); }
  void fail(const Tuple& input) override { stage_.fail(input); }
  void report_error(std::string_view message) override {
    stage_.executor_.report_error(stage_, task_.id, message);
  }

 protected:
  void do_emit(std::string_view stream, std::span<const Tuple* const> anchors, const Values& values,
               int direct_task) override {
    stage_.emit(task_, stream, anchors, values, direct_task);
  }

 private:
  BoltStage& stage_;
  Task& task_;
};

BoltStage::BoltStage(Executor& executor, int executor_index)
    : Stage(executor.runtime().layout(), executor_index), executor_(executor) {}

BoltStage::~BoltStage() = default;

void BoltStage::prepare() {
  first_task_ = info.tasks.front();  // an executor's tasks are consecutive
  tasks_.resize(info.tasks.size());
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    Task& t = tasks_[i];
    t.id = info.tasks[i];
    t.bolt = component.def->bolt();
    t.context = make_context(executor_.runtime(), t.id);
    t.collector = std::make_unique<Collector>(*this, t);
    t.bolt->prepare(component.config, *t.context, *t.collector);
  }
  std::int64_t tick_secs = component.config.get_int(conf::kTopologyTickTupleFreqSecs);
  std::int64_t tick_ms = component.config.get_int(conf::kTopologyTickTupleFreqMs);
  tick_every_ns_ = tick_ms > 0 ? tick_ms * (kNanosPerSecond / 1000) : tick_secs * kNanosPerSecond;
  if (tick_ms > 0) tick_secs = (tick_ms + 999) / 1000;  // the tick tuple's value: whole seconds
  next_tick_ns_ = executor_.now() + tick_every_ns_;
  TupleAccess::reset(tick_, &executor_.runtime().layout().tick_schema(), -1, Values{tick_secs});
}

void BoltStage::execute(int task, const Tuple& t) {
  execute(task_for(task), t);
}

void BoltStage::execute(Task& task, const Tuple& t) {
  std::int64_t start = 0;
  if (sample_now(executor_.runtime().settings().sample_every)) {
    start = executor_.now();
    TupleAccess::sample_ns(const_cast<Tuple&>(t)) = start;
  }
  try {
    task.bolt->execute(t);
  } catch (const std::exception& e) {
    executor_.report_error(*this, task.id, e.what());
    fail(t);
  }
  stats.executed.add();
  if (start) stats.execute.record(executor_.now() - start);
}

void BoltStage::deliver_ticks() {
  if (tick_every_ns_ <= 0) return;
  std::int64_t t = executor_.now();
  while (t >= next_tick_ns_) {
    next_tick_ns_ += tick_every_ns_;
    for (auto& task : tasks_) execute(task, tick_);
  }
}

std::int64_t BoltStage::next_tick_ns() const {
  return tick_every_ns_ > 0 ? next_tick_ns_ : std::numeric_limits<std::int64_t>::max();
}

void BoltStage::emit(Task& task, std::string_view stream, std::span<const Tuple* const> anchors,
                     const Values& values, int direct_task) {
  const StreamInfo& s = executor_.route(*this, task.id, stream, values, direct_task);
  bool acking = executor_.runtime().layout().acking();
  const std::uint32_t emit = executor_.next_emit();
  for (int target : targets) {
    BoltStage* chained = executor_.chained(target);
    Tuple& out = chained ? chained->input() : executor_.slot_for(target, emit);
    TupleAccess::reset(out, &s.schema, task.id, values);
    if (acking) {
      // Storm's anchoring: a fresh edge id per (target, anchor), XORed into the anchor's ack
      // value and into the new tuple's value for each of the anchor's roots. An edge to a
      // chained bolt is an edge like any other.
      for (const Tuple* a : anchors) {
        const auto& roots = TupleAccess::anchors(*a);
        if (roots.empty()) continue;
        std::uint64_t edge = executor_.next_id();
        TupleAccess::ack_val(*a) ^= edge;
        for (const auto& [root, value] : roots)
          detail::xor_anchor(TupleAccess::anchors(out), root, edge);
      }
    }
    if (chained) chained->execute(target, out);
  }
  stats.emitted.add();
  stats.transferred.add(targets.size());
  if (debug) executor_.log_emit(*this, task.id, s, values);
}

void BoltStage::ack(const Tuple& input) {
  if (executor_.runtime().layout().acking()) {
    std::uint64_t mine = TupleAccess::ack_val(input);
    for (const auto& [root, value] : TupleAccess::anchors(input))
      executor_.send_ack({AckMessage::Kind::ack, 0, root, value ^ mine});
  }
  stats.acked.add();
  if (auto s = TupleAccess::sample_ns(input)) stats.process.record(executor_.now() - s);
}

void BoltStage::fail(const Tuple& input) {
  if (executor_.runtime().layout().acking()) {
    for (const auto& [root, value] : TupleAccess::anchors(input))
      executor_.send_ack({AckMessage::Kind::fail, 0, root, 0});
  }
  stats.failed.add();
}

void BoltStage::cleanup() {
  for (auto& t : tasks_) {
    try {
      t.bolt->cleanup();
    } catch (const std::exception& e) {
      executor_.report_error(*this, t.id, e.what());
    }
  }
}

}  // namespace gale::runtime
