// Runs spout tasks: calls next_tuple while the topology is active, room remains under
// topology.max.spout.pending and downstream queues accept batches; tracks emitted trees and
// calls ack/fail when the acker answers or the message timeout expires.
#include "spout_executor.h"

#include <algorithm>
#include <optional>

#include "bolt_stage.h"
#include "gale/common/logging.h"
#include "gale/state.h"
#include "gale/state/part.h"
#include "state_writer.h"
#include "tuple_access.h"

namespace gale::runtime {

using detail::TupleAccess;

class SpoutExecutor::Collector final : public SpoutCollector {
 public:
  Collector(SpoutExecutor& executor, std::size_t slot) : executor_(executor), slot_(slot) {}
  void report_error(std::string_view message) override {
    executor_.report_error(executor_.stage_, executor_.tasks_[slot_].id, message);
  }
  std::int64_t pending_count() const override { return executor_.tasks_[slot_].pending; }
  void set_polled(bool polled) override { executor_.tasks_[slot_].polled = polled; }
  void input_available() override { executor_.signal_input(); }

 protected:
  void do_emit(std::string_view stream, const Values& values, const MessageId* id,
               int direct_task) override {
    executor_.emit(slot_, stream, values, id, direct_task);
  }

 private:
  SpoutExecutor& executor_;
  std::size_t slot_;
};

SpoutExecutor::SpoutExecutor(Runtime& runtime, int index, std::vector<int> chained)
    : Executor(runtime, index, std::move(chained)),
      stage_(runtime.layout(), index),
      pending_(kTimeoutBuckets) {
  head_ = &stage_;
  max_pending_ = component_.config.get_int(conf::kTopologyMaxSpoutPending);
}

SpoutExecutor::~SpoutExecutor() {
  join();
  tasks_.clear();  // the spouts go first, while everything they may call still exists
}

void SpoutExecutor::prepare() {
  for (int task : info_.tasks) {
    Task t;
    t.id = task;
    t.spout = component_.def->spout();
    t.context = make_context(runtime_, task);
    tasks_.push_back(std::move(t));
    if (tasks_.size() > kMaxTasksPerExecutor)
      throw std::invalid_argument("spout '" + component_.id + "' has more than " +
                                  std::to_string(kMaxTasksPerExecutor) + " tasks in one executor");
  }
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    tasks_[i].collector = std::make_unique<Collector>(*this, i);
    tasks_[i].spout->open(component_.config, *tasks_[i].context, *tasks_[i].collector);
    if (layout_.checkpointing() && runtime_.restored_checkpoint()) restore_position(tasks_[i]);
  }
  expiry_.start(now(), runtime_.settings().timeout_ns);
  next_flush_ns_ = now() + runtime_.settings().flush_interval_ns;
}

void SpoutExecutor::emit(std::size_t slot, std::string_view stream, const Values& values,
                         const MessageId* id, int direct_task) {
  Task& task = tasks_[slot];
  const StreamInfo& s = route(stage_, task.id, stream, values, direct_task);
  bool track = id && layout_.acking();
  std::uint64_t root = track ? next_id() : 0;
  std::uint64_t tree = 0;
  std::int64_t emitted_ns =
      track && stage_.sample_now(runtime_.settings().sample_every) ? now() : 0;
  // The bolts chained here run now; their acks of this tree are folded into its init.
  std::optional<FoldScope> fold;
  if (track) fold.emplace(*this);
  const std::uint32_t emit = next_emit();
  for (int target : stage_.targets) {
    BoltStage* bolt = chained(target);
    Tuple& t = bolt ? bolt->input() : slot_for(target, emit);
    TupleAccess::reset(t, &s.schema, task.id, values);
    if (track) {
      std::uint64_t edge = next_id();
      TupleAccess::anchors(t).emplace_back(root, edge);
      tree ^= edge;
    }
    if (bolt) bolt->execute(target, t);
  }
  Fold folded{root};
  if (fold && fold->open()) folded = take_fold(root);
  fold.reset();  // sends the acks of other trees a chained bolt sent meanwhile
  stage_.stats.emitted.add();
  stage_.stats.transferred.add(stage_.targets.size());
  if ((stage_.debug || runtime_.debug_forced()) && runtime_.debug_emit(stage_)) [[unlikely]]
    log_emit(stage_, task.id, s, values);
  if (!id) return;
  tree ^= folded.value;
  if (!track || tree == 0) {
    // Complete already: no ackers, no targets, or every edge ended inside the chain. The
    // spout hears of it after next_tuple returns, as it would from an acker.
    done_now_.push_back({slot, *id, emitted_ns, folded.failed});
    return;
  }
  Pending& p = pending_.insert_new(root);
  p.message = *id;
  p.slot = static_cast<std::uint32_t>(slot);
  p.sampled = emitted_ns != 0;
  if (layout_.checkpointing()) {
    p.generation = task.generation;
    ++task.open_trees[task.generation];
  }
  if (emitted_ns) *sampled_.try_emplace(root).first = emitted_ns;
  ++task.pending;
  pending_total_.store(pending_total_.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);
  send_ack({AckMessage::Kind::init, task.id, root, tree});
  if (folded.failed) send_ack({AckMessage::Kind::fail, 0, root, 0});
}

bool SpoutExecutor::work() {
  // Consumed before next_tuple runs, so that a signal during it is kept for the next round.
  if (input_signalled_.load(std::memory_order_relaxed))
    input_signalled_.store(false, std::memory_order_relaxed);
  bool did = drain_inbox();
  did |= retry_parked();
  if (!triggered_.empty() && parked_.empty()) {
    // Trees that ended failed inside a chain ask for their recovery before any part is
    // stored: a part stored first could complete a checkpoint past the failed tuple.
    did |= finish_done_now();
    did |= take_checkpoints();
  }
  sync_activation();
  // A recovery asked for: nothing new goes out until the runtime is restarted.
  if (active_ && parked_.empty() && !runtime_.recovery_requested()) {
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
      Task& t = tasks_[i];
      if (max_pending_ > 0 && t.pending >= max_pending_) continue;
      std::uint64_t before = stage_.stats.emitted.get();
      call(t, [&] { t.spout->next_tuple(); });
      did |= stage_.stats.emitted.get() != before;
      finish_done_now();
    }
  }
  did |= finish_done_now();  // trees completed by an ack() or activate() that emitted
  if (!did || ++rounds_ % kTimerCheckRounds == 0) {
    on_timers();
    deliver_chained_ticks();
  }
  return did;
}

// Acks wake the spout, and so does a source that signals input (SpoutCollector::set_polled);
// the others it polls: sooner at first, then less often while next_tuple keeps finding nothing.
std::int64_t SpoutExecutor::sleep_limit_ns(int empty_sleeps) {
  const RuntimeSettings& s = runtime_.settings();
  if (!parked_.empty()) return s.spout_park_us * 1000;  // try the full queue again
  std::int64_t next =
      std::min(expiry_.enabled() ? expiry_.next_ns() : kNoLimit, next_chained_tick_ns());
  std::int64_t limit = next == kNoLimit ? kNoLimit : until(next);
  bool poll = std::any_of(tasks_.begin(), tasks_.end(), [&](const Task& t) {
    return t.polled && (max_pending_ <= 0 || t.pending < max_pending_);
  });
  if (active_ && poll) {
    std::int64_t park_us = s.spout_park_us;
    for (int i = 0; i < empty_sleeps && park_us < s.spout_park_max_us; ++i) park_us *= 2;
    limit = std::min(limit, std::min(park_us, s.spout_park_max_us) * 1000);
  }
  return limit;
}

void SpoutExecutor::on_timers() {
  std::int64_t t = now();
  if (t >= next_flush_ns_) {
    flush();
    next_flush_ns_ = t + runtime_.settings().flush_interval_ns;
  }
  for (int n = expiry_.due(t); n > 0; --n)
    pending_.rotate([&](std::uint64_t root, Pending& p) { finish(root, p, false); });
}

bool SpoutExecutor::drain_inbox() {
  bool did = false;
  BatchPtr b;
  while (inbox().try_pop(b)) {
    mark_busy();
    did = true;
    for (const AckMessage& m : b->acks) {
      if (m.kind == AckMessage::Kind::checkpoint) {
        triggered_.emplace_back(m.task, m.root);
        continue;
      }
      if (m.kind == AckMessage::Kind::checkpoint_complete) {
        checkpoint_complete(m.task, m.root);
        continue;
      }
      Pending p;
      if (pending_.take(m.root, p)) finish(m.root, p, m.kind == AckMessage::Kind::completed);
    }
    // Tuples come only for the bolts chained here (from another worker's local_or_shuffle).
    for (std::size_t i = 0; i < b->size; ++i) execute_input(b->targets[i], b->tuples[i], nullptr);
    BatchPool::release(std::move(b));
  }
  return did;
}

void SpoutExecutor::finish(std::uint64_t root, const Pending& p, bool acked) {
  Task& t = tasks_[p.slot];
  if (layout_.checkpointing()) {
    auto open = t.open_trees.find(static_cast<std::uint16_t>(p.generation));
    if (open != t.open_trees.end() && --open->second == 0) t.open_trees.erase(open);
    // A stateful spout's failed tree: those checkpoints must not complete (a recovery comes).
    if (!acked && dynamic_cast<StatefulSpout*>(t.spout.get())) t.held_parts.clear();
    store_parts(t);
  }
  if (!acked && layout_.checkpointing() && dynamic_cast<StatefulSpout*>(t.spout.get())) {
    // Replaying one tuple would update state twice (it counted before failing) or never (the
    // checkpoint after it holds a position past it): the whole topology goes back to the last
    // checkpoint instead, as Flink does.
    stage_.stats.failed.add();
    --t.pending;
    pending_total_.store(pending_total_.load(std::memory_order_relaxed) - 1,
                         std::memory_order_relaxed);
    runtime_.request_recovery(component_.id + ":" + std::to_string(t.id) +
                              ": a tuple tree failed or timed out");
    return;
  }
  std::int64_t emitted_ns = 0;
  if (p.sampled) sampled_.take(root, emitted_ns);
  --t.pending;
  pending_total_.store(pending_total_.load(std::memory_order_relaxed) - 1,
                       std::memory_order_relaxed);
  if (acked) {
    if (emitted_ns) stage_.stats.complete.record(now() - emitted_ns);
    stage_.stats.acked.add();
    call(t, [&] { t.spout->ack(p.message); });
  } else {
    stage_.stats.failed.add();
    call(t, [&] { t.spout->fail(p.message); });
  }
}

bool SpoutExecutor::finish_done_now() {
  if (done_now_.empty()) return false;
  // Swap out first: ack() may emit and append again.
  std::vector<Done> done;
  done.swap(done_now_);
  for (const Done& d : done) {
    Task& t = tasks_[d.slot];
    if (d.failed) {
      stage_.stats.failed.add();
      if (layout_.checkpointing() && dynamic_cast<StatefulSpout*>(t.spout.get())) {
        t.held_parts.clear();  // as in finish(): back to the last checkpoint, no replay
        runtime_.request_recovery(component_.id + ":" + std::to_string(t.id) +
                                  ": a tuple tree failed");
        continue;
      }
      call(t, [&] { t.spout->fail(d.message); });
      continue;
    }
    if (d.emitted_ns) stage_.stats.complete.record(now() - d.emitted_ns);
    stage_.stats.acked.add();
    call(t, [&] { t.spout->ack(d.message); });
  }
  return true;
}

bool SpoutExecutor::retry_parked() {
  bool did = parked_.retry(runtime_);
  has_parked_.store(!parked_.empty(), std::memory_order_relaxed);
  return did;
}

void SpoutExecutor::on_full(int dest, BatchPtr batch) {
  // A spout never waits: it keeps the batch and stops calling next_tuple until it is taken,
  // while still draining acks (which is what frees the queues downstream).
  parked_.park(dest, std::move(batch));
  has_parked_.store(true, std::memory_order_relaxed);
}

SpoutExecutor::Task* SpoutExecutor::task_by_id(int task) {
  for (auto& t : tasks_)
    if (t.id == task) return &t;
  return nullptr;
}

void SpoutExecutor::restore_position(Task& t) {
  auto* stateful = dynamic_cast<StatefulSpout*>(t.spout.get());
  if (!stateful) {
    spdlog::warn(
        "{}:{} is not a StatefulSpout: it cannot go back to checkpoint {}, so what it "
        "emitted after it is not replayed (state is exactly-once only for rewindable "
        "sources)",
        component_.id, t.id, runtime_.restored_checkpoint());
    return;
  }
  // Every task's position of this component: partitions may move between a source's tasks.
  std::vector<std::string> positions;
  for (int task : component_.tasks) {
    state::RestoredTask restored = runtime_.restore(task);
    positions.push_back(restored.position.value_or(""));
  }
  stateful->restore_position(positions, static_cast<std::size_t>(t.id - component_.tasks.front()));
}

bool SpoutExecutor::take_checkpoints() {
  for (const auto& [task, id] : triggered_) {
    Task* t = task_by_id(task);
    if (!t || id <= t->checkpoint) continue;  // a trigger sent again
    t->checkpoint = id;
    state::TaskPart part;  // a position alone: always a full part
    part.component = component_.id;
    bool stored = true;
    if (auto* stateful = dynamic_cast<StatefulSpout*>(t->spout.get())) {
      try {
        part.position = stateful->snapshot_position();
      } catch (const std::exception& e) {
        // No part: the checkpoint cannot complete, and the coordinator is told so at once
        // rather than wait for its timeout. The barrier still goes, so that no bolt holds
        // input back waiting for it.
        report_error(stage_, t->id, "checkpoint " + std::to_string(id) + " not taken: " + e.what());
        send_ack({AckMessage::Kind::checkpoint_declined, layout_.checkpoint_task(), id,
                  static_cast<std::uint64_t>(t->id)});
        stored = false;
      }
    }
    if (stored && !runtime_.recovery_requested())
      t->held_parts.push_back({id, t->generation, state::encode_part(part)});
    ++t->generation;
    emit_barrier(stage_, t->id, id);
    store_parts(*t);
  }
  triggered_.clear();
  flush();
  return true;
}

void SpoutExecutor::store_parts(Task& t) {
  while (!t.held_parts.empty()) {
    const HeldPart& part = t.held_parts.front();
    // Trees open from a generation at or before the part's (modulo 2^16: generations in flight
    // span far less than 2^15) hold it back.
    bool earlier_open = std::any_of(t.open_trees.begin(), t.open_trees.end(), [&](const auto& o) {
      return static_cast<std::uint16_t>(part.generation - o.first) < 0x8000;
    });
    if (earlier_open) return;
    runtime_.state_writer().submit(t.id, part.id, part.bytes, true);
    t.held_parts.pop_front();
  }
}

void SpoutExecutor::checkpoint_complete(int task, CheckpointId id) {
  Task* t = task_by_id(task);
  if (auto* stateful = t ? dynamic_cast<StatefulSpout*>(t->spout.get()) : nullptr)
    call(*t, [&] { stateful->checkpoint_complete(id); });
}

void SpoutExecutor::sync_activation() {
  bool want = runtime_.active();
  if (want == active_) return;
  active_ = want;
  for (auto& t : tasks_) call(t, [&] { want ? t.spout->activate() : t.spout->deactivate(); });
}

void SpoutExecutor::shutdown() {
  for (auto& t : tasks_) call(t, [&] { t.spout->close(); });
}

template <typename F>
void SpoutExecutor::call(Task& t, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    report_error(stage_, t.id, e.what());
  }
}

}  // namespace gale::runtime
