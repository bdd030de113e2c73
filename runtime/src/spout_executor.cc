// Runs spout tasks: calls next_tuple while the topology is active, room remains under
// topology.max.spout.pending and downstream queues accept batches; tracks emitted trees and
// calls ack/fail when the acker answers or the message timeout expires.
#include "spout_executor.h"

#include "tuple_access.h"

namespace gale::runtime {

using detail::TupleAccess;

class SpoutExecutor::Collector final : public SpoutCollector {
 public:
  Collector(SpoutExecutor& executor, std::size_t slot) : executor_(executor), slot_(slot) {}
  void report_error(std::string_view message) override {
    executor_.report_error(executor_.tasks_[slot_].id, message);
  }
  std::int64_t pending_count() const override { return executor_.tasks_[slot_].pending; }

 protected:
  void do_emit(std::string_view stream, const Values& values, const MessageId* id,
               int direct_task) override {
    executor_.emit(slot_, stream, values, id, direct_task);
  }

 private:
  SpoutExecutor& executor_;
  std::size_t slot_;
};

SpoutExecutor::SpoutExecutor(Runtime& runtime, int index)
    : Executor(runtime, index), pending_(kTimeoutBuckets) {
  max_pending_ = component_.config.get_int(conf::kTopologyMaxSpoutPending);
}

SpoutExecutor::~SpoutExecutor() {
  join();
}

void SpoutExecutor::prepare() {
  for (int task : info_.tasks) {
    Task t;
    t.id = task;
    t.spout = component_.def->spout();
    t.context = make_context(runtime_, task);
    tasks_.push_back(std::move(t));
  }
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    tasks_[i].collector = std::make_unique<Collector>(*this, i);
    tasks_[i].spout->open(component_.config, *tasks_[i].context, *tasks_[i].collector);
  }
  expiry_.start(now(), runtime_.settings().timeout_ns);
  next_flush_ns_ = now() + runtime_.settings().flush_interval_ns;
}

void SpoutExecutor::emit(std::size_t slot, std::string_view stream, const Values& values,
                         const MessageId* id, int direct_task) {
  Task& task = tasks_[slot];
  const StreamInfo& s = route(task.id, stream, values, direct_task);
  bool track = id && layout_.acking();
  std::uint64_t root = track ? ids_.next() : 0;
  std::uint64_t tree = 0;
  for (int target : targets_) {
    Tuple& t = slot_for(target);
    TupleAccess::reset(t, &s.schema, task.id, values);
    if (track) {
      std::uint64_t edge = ids_.next();
      TupleAccess::anchors(t).emplace_back(root, edge);
      tree ^= edge;
    }
  }
  stats_.emitted.add();
  stats_.transferred.add(targets_.size());
  if (debug_) log_emit(task.id, s, values);
  if (track) {
    Pending& p = pending_.insert_new(root);
    p = {*id, slot, sample_now() ? now() : 0};
    ++task.pending;
    pending_total_.store(pending_total_.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
    send_ack({AckMessage::Kind::init, task.id, root, tree});
  } else if (id) {
    ack_now_.push_back({slot, *id});  // no ackers: the tuple counts as acked once emitted
  }
}

bool SpoutExecutor::work() {
  bool did = drain_inbox();
  did |= retry_parked();
  sync_activation();
  if (active_ && parked_.empty()) {
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
      Task& t = tasks_[i];
      if (max_pending_ > 0 && t.pending >= max_pending_) continue;
      std::uint64_t before = stats_.emitted.get();
      call(t, [&] { t.spout->next_tuple(); });
      did |= stats_.emitted.get() != before;
      ack_immediately();
    }
  }
  if (!did || ++rounds_ % kTimerCheckRounds == 0) on_timers();
  return did;
}

void SpoutExecutor::on_timers() {
  std::int64_t t = now();
  if (t >= next_flush_ns_) {
    flush();
    next_flush_ns_ = t + runtime_.settings().flush_interval_ns;
  }
  for (int n = expiry_.due(t); n > 0; --n)
    pending_.rotate([&](std::uint64_t, Pending& p) { finish(p, false); });
}

bool SpoutExecutor::drain_inbox() {
  bool did = false;
  BatchPtr b;
  while (inbox().try_pop(b)) {
    mark_busy();
    did = true;
    for (const AckMessage& m : b->acks) {
      Pending p;
      if (pending_.take(m.root, p)) finish(p, m.kind == AckMessage::Kind::completed);
    }
    BatchPool::release(std::move(b));
  }
  return did;
}

void SpoutExecutor::finish(const Pending& p, bool acked) {
  Task& t = tasks_[p.slot];
  --t.pending;
  pending_total_.store(pending_total_.load(std::memory_order_relaxed) - 1,
                       std::memory_order_relaxed);
  if (acked) {
    if (p.emitted_ns) stats_.complete.record(now() - p.emitted_ns);
    stats_.acked.add();
    call(t, [&] { t.spout->ack(p.message); });
  } else {
    stats_.failed.add();
    call(t, [&] { t.spout->fail(p.message); });
  }
}

void SpoutExecutor::ack_immediately() {
  if (ack_now_.empty()) return;
  // Swap out first: ack() may emit and append again.
  std::vector<std::pair<std::size_t, MessageId>> acks;
  acks.swap(ack_now_);
  for (auto& [slot, id] : acks) {
    stats_.acked.add();
    Task& t = tasks_[slot];
    call(t, [&] { t.spout->ack(id); });
  }
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
    report_error(t.id, e.what());
  }
}

}  // namespace gale::runtime
