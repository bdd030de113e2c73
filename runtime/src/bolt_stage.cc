#include "bolt_stage.h"

#include "gale/common/logging.h"
#include "gale/state.h"
#include "state_writer.h"
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
  const Runtime& runtime = executor_.runtime();
  checkpointing_ = runtime.layout().checkpointing();
  if (checkpointing_) {
    input_slot_.assign(static_cast<std::size_t>(runtime.layout().task_count()) + 1, -1);
    for (std::size_t i = 0; i < component.barrier_inputs.size(); ++i)
      input_slot_[static_cast<std::size_t>(component.barrier_inputs[i])] = static_cast<int>(i);
  }
  for (auto& t : tasks_) init_state(t);
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

void BoltStage::init_state(Task& task) {
  auto* stateful = component.stateful ? dynamic_cast<StatefulBolt*>(task.bolt.get()) : nullptr;
  if (!stateful) return;
  const Runtime& runtime = executor_.runtime();
  const bool checkpoints = runtime.layout().checkpointing();
  state::RestoredTask restored;
  if (checkpoints && runtime.restored_checkpoint()) restored = runtime.restore(task.id);
  task.state = std::make_unique<TaskState>(
      component.id, std::move(restored),
      static_cast<int>(runtime.layout().config().get_int(conf::kTopologyStateFullEvery)));
  if (!checkpoints) task.state->stop_tracking();  // state in memory only
  stateful->init_state(*task.state);
  for (const auto& name : task.state->undeclared())
    spdlog::warn(
        "{}:{}: checkpoint {} holds state '{}', which init_state() did not declare: it "
        "is dropped",
        component.id, task.id, task.state->restored_from(), name);
}

bool BoltStage::align(Task& task, const Tuple& t) {
  int source = t.source_task();
  int slot = source >= 0 && static_cast<std::size_t>(source) < input_slot_.size()
                 ? input_slot_[static_cast<std::size_t>(source)]
                 : -1;
  if (slot < 0) return false;  // a tick, or a tuple from itself
  if (TupleAccess::schema(t)->stream == kBarrierStream) {
    on_barrier(task, slot, static_cast<CheckpointId>(t.values()[0].as_int()));
    return true;
  }
  if (task.aligning == 0 || !task.got[static_cast<std::size_t>(slot)]) return false;
  task.held.push_back(t);  // this input has sent the barrier: its tuples wait for the others
  return true;
}

void BoltStage::on_barrier(Task& task, int slot, CheckpointId id) {
  if (id <= task.passed || id < task.aligning) return;          // from an abandoned checkpoint
  if (task.aligning != 0 && id > task.aligning) release(task);  // the older one was abandoned
  const std::size_t inputs = component.barrier_inputs.size();
  if (task.aligning == 0) {
    task.aligning = id;
    task.got.assign(inputs, 0);
    task.got_count = 0;
  }
  if (!task.got[static_cast<std::size_t>(slot)]) {
    task.got[static_cast<std::size_t>(slot)] = 1;
    ++task.got_count;
  }
  if (static_cast<std::size_t>(task.got_count) < inputs) return;
  // Aligned: the state holds exactly the effect of every input's tuples before barrier `id`.
  if (task.state) {
    StateWriter& writer = executor_.runtime().state_writer();
    try {
      static_cast<StatefulBolt&>(*task.bolt).pre_checkpoint(id);
      if (writer.failed(task.id)) task.state->force_full();
      auto part = task.state->snapshot(id);
      writer.submit(task.id, id, std::move(part.bytes), part.full);
    } catch (const std::exception& e) {
      // No part: checkpoint `id` never completes and recovery uses an earlier one. Some
      // states may have been snapshotted (their changes forgotten): the next part is full.
      task.state->force_full();
      executor_.report_error(*this, task.id,
                             "checkpoint " + std::to_string(id) + " not taken: " + e.what());
    }
  }
  executor_.emit_barrier(*this, task.id, id);
  task.passed = id;
  release(task);
}

void BoltStage::release(Task& task) {
  task.aligning = 0;
  std::deque<Tuple> held;
  held.swap(task.held);
  for (const Tuple& t : held) execute(task, t);
}

void BoltStage::execute(Task& task, const Tuple& t) {
  if (checkpointing_ && align(task, t)) return;
  std::int64_t start = 0;
  const int sample_every = executor_.runtime().settings().sample_every;
  if (sample_now(sample_every)) {
    start = executor_.now();
    TupleAccess::sample_ns(const_cast<Tuple&>(t)) = start;
    const std::string& from = t.source_component();
    if (!from.empty() && !from.starts_with("__"))  // not ticks, not the system's streams
      stats.inputs.add(TupleAccess::schema(t), from, t.source_stream(),
                       static_cast<std::uint64_t>(sample_every));
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
  if ((debug || executor_.runtime().debug_forced()) && executor_.runtime().debug_emit(*this))
      [[unlikely]]
    executor_.log_emit(*this, task.id, s, values);
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
