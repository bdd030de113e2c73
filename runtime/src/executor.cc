#include "executor.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <cstring>
#include <future>
#include <stdexcept>

#include "bolt_stage.h"
#include "gale/common/logging.h"
#include "tuple_access.h"

namespace gale::runtime {

using detail::TupleAccess;

namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  if (int err = pthread_setaffinity_np(pthread_self(), sizeof set, &set))
    spdlog::warn("cannot pin an executor thread to CPU {} ({}): it runs unpinned", cpu,
                 std::strerror(err));
}

}  // namespace

Stage::Stage(const Layout& layout, int executor_index)
    : executor_index(executor_index),
      info(layout.executors()[static_cast<std::size_t>(executor_index)]),
      component(layout.component(info.component)),
      default_stream(component.stream(kDefaultStream)),
      debug(component.config.get_bool(conf::kTopologyDebug)) {}

Executor::Executor(Runtime& runtime, int index, std::vector<int> chained)
    : runtime_(runtime),
      layout_(runtime.layout()),
      index_(index),
      info_(layout_.executors()[static_cast<std::size_t>(index)]),
      component_(layout_.component(info_.component)),
      inbox_(runtime.settings().inbox_batches),
      pool_(kOutputPoolBatches),
      out_(layout_.executors().size()) {
  for (int e : chained) {
    auto& stage = *chained_.emplace_back(std::make_unique<BoltStage>(*this, e));
    for (int task : stage.info.tasks) {
      if (chained_by_task_.size() <= static_cast<std::size_t>(task))
        chained_by_task_.resize(static_cast<std::size_t>(task) + 1, nullptr);
      chained_by_task_[static_cast<std::size_t>(task)] = &stage;
    }
  }
}

Executor::~Executor() {
  join();
}

void Executor::start(int cpu) {
  std::promise<void> prepared;
  auto ready = prepared.get_future();
  thread_ = std::thread([this, cpu, p = std::move(prepared)]() mutable {
    if (cpu >= 0) pin_to(cpu);
    try {
      build_groupings(*head_);
      for (auto& c : chained_) build_groupings(*c);
      // Deepest first, the executor's own component last: whatever a prepare() emits finds
      // the bolts chained below it prepared.
      for (auto c = chained_.rbegin(); c != chained_.rend(); ++c) (*c)->prepare();
      prepare();
      p.set_value();
    } catch (...) {
      p.set_exception(std::current_exception());
      return;
    }
    thread_main();
  });
  ready.get();  // rethrows a failed open()/prepare()
}

void Executor::join() {
  if (thread_.joinable()) {
    request_stop();
    thread_.join();
  }
}

// The wait strategy: spin, then yield, then sleep on the doorbell until input arrives or the
// executor's own limit (a spout's next poll, a timer) has passed. Producers ring only when the
// executor is actually asleep, so a busy topology pays one fence and a relaxed load per batch.
void Executor::thread_main() {
  const RuntimeSettings& s = runtime_.settings();
  // Bolts and ackers wait for other threads, which hand work over within microseconds: they
  // spin and yield first. A spout that found nothing to emit waits for its source, or for acks
  // that ring its doorbell: it sleeps at once (as Storm 2's spout wait strategy does), leaving
  // the CPU to the threads with work — spinning, it cost p99 3.8-5.5 ms across two workers on
  // two CPUs, against 0.5-0.8 ms sleeping (docs/PERFORMANCE.md).
  const bool spins = component_.kind != ComponentInfo::Kind::spout;
  ProgressiveWait wait(0, spins ? s.wait_spins : 0, spins ? s.wait_yields : 0);
  int empty_sleeps = 0;
  started_ns_.store(steady_ns(), std::memory_order_release);
  while (!stopping()) {
    // While waiting, the time before each look: work found there ends the wait then, not after
    // the work is done.
    std::int64_t looked = stretch_start_ >= 0 ? steady_ns() : -1;
    if (work()) {
      end_wait(looked);
      idle_.store(false, std::memory_order_release);
      wait.reset();
      empty_sleeps = 0;
      continue;
    }
    flush();
    bool blocked = holds_output();
    begin_wait(blocked);
    idle_.store(dirty_.empty() && self_.empty() && !blocked, std::memory_order_release);
    // Output held back: the batches will not go sooner for spinning.
    if (!blocked && wait.spin()) continue;
    sleep(empty_sleeps);
    empty_sleeps = std::min(empty_sleeps + 1, kMaxEmptySleeps);
  }
  end_wait();
  flush();
  shutdown();
  for (auto& c : chained_) c->cleanup();
}

void Executor::sleep(int empty_sleeps) {
  std::int64_t limit = std::min(sleep_limit_ns(empty_sleeps), runtime_.clock().longest_sleep_ns());
  if (limit <= 0) {  // a park time of 0: poll, but let other threads have the core
    std::this_thread::yield();
    return;
  }
  bell_.prepare_sleep();
  if (inbox_.size_approx() > 0 || !self_.empty() || stopping() || signalled()) {
    bell_.cancel_sleep();
    return;
  }
  bell_.sleep(limit);
}

void Executor::build_groupings(Stage& stage) {
  if (!stage.info.tasks.empty())
    stage.grouping_context = make_context(runtime_, stage.info.tasks.front());
  for (const auto& s : stage.component.streams) {
    auto& list = stage.groupings.emplace_back();
    for (const auto& sub : s->subscribers) {
      const ComponentInfo& subscriber = layout_.component(sub.component);
      // Chained here: the subscriber's partner of this stage's first task runs in this thread.
      bool chained_here = false;
      if (subscriber.chain_input == stage.info.component && !stage.info.tasks.empty()) {
        auto k = static_cast<std::size_t>(stage.info.tasks.front() - stage.component.tasks.front());
        chained_here = chained(subscriber.tasks[k]) != nullptr;
      }
      GroupingSpec spec{&sub.grouping,
                        &stage.component.id,
                        &s->schema.stream,
                        &s->schema.fields,
                        &stage.component.tasks,
                        &subscriber.tasks,
                        &runtime_.worker_tasks(),
                        stage.grouping_context.get(),
                        ids_.next(),
                        chained_here};
      list.push_back(make_grouping(spec));
    }
  }
}

void Executor::execute_input(int task, const Tuple& t, BoltStage* own) {
  BoltStage* stage = chained(task);
  if (!stage) stage = own;
  if (!stage) return;
  FoldScope fold(*this);
  stage->execute(task, t);
}

void Executor::deliver_chained_ticks() {
  for (auto& c : chained_) c->deliver_ticks();
}

std::int64_t Executor::next_chained_tick_ns() const {
  std::int64_t next = kNoLimit;
  for (const auto& c : chained_) next = std::min(next, c->next_tick_ns());
  return next;
}

Batch& Executor::batch_for(int target_task) {
  int dest = runtime_.outbound_of_task(target_task);
  auto& b = out_[static_cast<std::size_t>(dest)];
  if (b && b->count() >= runtime_.settings().batch_size) push(dest, std::move(b));
  if (!b) {
    b = pool_.acquire();
    dirty_.push_back(dest);
  }
  return *b;
}

Tuple& Executor::slot_for(int target_task, std::uint32_t emit) {
  return batch_for(target_task).next_slot(target_task, emit);
}

void Executor::send_ack(const AckMessage& m) {
  if (folding_ && (m.kind == AckMessage::Kind::ack || m.kind == AckMessage::Kind::fail)) {
    auto f =
        std::find_if(folds_.begin(), folds_.end(), [&](const Fold& x) { return x.root == m.root; });
    if (f == folds_.end() && folds_.size() < kMaxFolds) f = folds_.insert(f, Fold{m.root});
    if (f != folds_.end()) {
      f->value ^= m.value;
      f->failed |= m.kind == AckMessage::Kind::fail;
      return;
    }
  }
  batch_for(ack_target_task(layout_, m)).acks.push_back(m);
}

Executor::Fold Executor::take_fold(std::uint64_t root) {
  auto f =
      std::find_if(folds_.begin(), folds_.end(), [&](const Fold& x) { return x.root == root; });
  if (f == folds_.end()) return {root};
  Fold taken = *f;
  folds_.erase(f);
  return taken;
}

void Executor::end_fold() {
  folding_ = false;
  for (const Fold& f : folds_) {  // a failed tree's value no longer matters
    if (f.failed)
      send_ack({AckMessage::Kind::fail, 0, f.root, 0});
    else if (f.value)
      send_ack({AckMessage::Kind::ack, 0, f.root, f.value});
  }
  folds_.clear();
}

void Executor::flush() {
  for (int dest : dirty_) {
    auto& b = out_[static_cast<std::size_t>(dest)];
    if (b) push(dest, std::move(b));
  }
  dirty_.clear();
}

void Executor::push(int dest, BatchPtr batch) {
  if (runtime_.host_of(dest) == index_) {
    self_.push_back(std::move(batch));
    return;
  }
  // While output is held back (a spout's parked batches), later batches queue behind it: a
  // destination gets a producer's batches in order (a barrier never overtakes tuples).
  if (holds_output() || !runtime_.try_deliver(dest, batch)) on_full(dest, std::move(batch));
}

void Executor::on_full(int dest, BatchPtr batch) {
  ProgressiveWait wait(runtime_.settings().bolt_park_us);
  end_wait();  // a stretch without work ends here: this wait is counted below, once
  std::int64_t since = steady_ns();
  while (!runtime_.try_deliver(dest, batch)) {
    if (stopping()) break;  // shutting down: nothing downstream will read it
    wait.idle();
  }
  std::uint32_t seq = time_seq_.load(std::memory_order_relaxed);
  time_seq_.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  backpressured_ns_.add(static_cast<std::uint64_t>(steady_ns() - since));
  time_seq_.store(seq + 2, std::memory_order_release);
}

// The time accounting is a seqlock: the executor thread writes (an odd sequence while it
// does), time() reads until it saw one even sequence on both sides, so that a stretch moving
// from "going on" to "counted" is never seen twice or not at all: time() never goes back.
void Executor::begin_wait(bool blocked) {
  if (stretch_start_ >= 0 && blocked == stretch_blocked_) return;
  end_wait();  // held back now and not before (or the other way): a new stretch
  stretch_start_ = steady_ns();
  stretch_blocked_ = blocked;
  std::uint32_t seq = time_seq_.load(std::memory_order_relaxed);
  time_seq_.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  waiting_blocked_.store(blocked, std::memory_order_relaxed);
  waiting_since_.store(stretch_start_, std::memory_order_relaxed);
  time_seq_.store(seq + 2, std::memory_order_release);
}

void Executor::end_wait(std::int64_t at) {
  if (stretch_start_ < 0) return;
  auto waited = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, (at >= 0 ? at : steady_ns()) - stretch_start_));
  std::uint32_t seq = time_seq_.load(std::memory_order_relaxed);
  time_seq_.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  (stretch_blocked_ ? backpressured_ns_ : idle_ns_).add(waited);
  waiting_since_.store(-1, std::memory_order_relaxed);
  time_seq_.store(seq + 2, std::memory_order_release);
  stretch_start_ = -1;
}

Executor::Time Executor::time() const {
  std::int64_t started = started_ns_.load(std::memory_order_acquire);
  if (started == 0) return {};
  while (true) {
    std::uint32_t before = time_seq_.load(std::memory_order_acquire);
    if (before & 1) {
      std::this_thread::yield();
      continue;
    }
    std::int64_t now = steady_ns();
    Time t{static_cast<std::uint64_t>(now - started), idle_ns_.get(), backpressured_ns_.get()};
    std::int64_t since = waiting_since_.load(std::memory_order_relaxed);
    bool blocked = waiting_blocked_.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (time_seq_.load(std::memory_order_relaxed) != before) continue;
    if (since >= 0 && now > since)
      (blocked ? t.backpressured_ns : t.idle_ns) += static_cast<std::uint64_t>(now - since);
    return t;
  }
}

BatchPtr Executor::take_self_batch() {
  if (self_.empty()) return nullptr;
  BatchPtr b = std::move(self_.front());
  self_.pop_front();
  return b;
}

const StreamInfo& Executor::route(Stage& stage, int source_task, std::string_view stream,
                                  const Values& values, int direct_task) {
  const ComponentInfo& component = stage.component;
  std::vector<int>& targets = stage.targets;
  // Most emits go to the default stream: a comparison of constant length the compiler inlines.
  const StreamInfo* s = stream.size() == 7 && std::memcmp(stream.data(), "default", 7) == 0
                            ? stage.default_stream
                            : component.stream(stream);
  if (!s || s == component.barrier)
    throw std::invalid_argument("component '" + component.id + "' emitted on undeclared stream '" +
                                std::string(stream) + "'");
  if (values.size() != s->schema.fields.size())
    throw std::invalid_argument("component '" + component.id + "' emitted " +
                                std::to_string(values.size()) + " values on stream '" +
                                s->schema.stream + "', declared with fields " +
                                s->schema.fields.to_string());
  targets.clear();
  if (direct_task < 0) {
    if (s->schema.direct)
      throw std::invalid_argument("stream '" + s->schema.stream + "' of '" + component.id +
                                  "' is direct: emit to it with emit_direct");
    for (auto& chooser : stage.groupings[static_cast<std::size_t>(s->schema.stream_index)])
      chooser->choose(source_task, values, targets);
    return *s;
  }
  if (!s->schema.direct)
    throw std::invalid_argument("emit_direct on stream '" + s->schema.stream + "' of '" +
                                component.id + "', which is not declared direct");
  bool subscribed = false;
  if (direct_task >= 1 && direct_task <= layout_.task_count()) {
    int c = layout_.component_of_task(direct_task);
    for (const auto& sub : s->subscribers)
      subscribed |= sub.component == c && sub.grouping.kind == Grouping::Kind::direct;
  }
  if (!subscribed)
    throw std::invalid_argument("emit_direct to task " + std::to_string(direct_task) +
                                ", which does not subscribe to '" + component.id + ":" +
                                s->schema.stream + "' with direct grouping");
  targets.push_back(direct_task);
  return *s;
}

void Executor::emit_barrier(const Stage& stage, int task, CheckpointId id) {
  const StreamInfo* barrier = stage.component.barrier;
  if (!barrier) return;
  const Values values{Value(static_cast<std::int64_t>(id))};
  const std::uint32_t emit = next_emit();
  for (const auto& sub : barrier->subscribers) {
    for (int target : layout_.component(sub.component).tasks) {
      BoltStage* bolt = chained(target);
      Tuple& out = bolt ? bolt->input() : slot_for(target, emit);
      TupleAccess::reset(out, &barrier->schema, task, values);
      if (bolt) bolt->execute(target, out);
    }
  }
}

void Executor::log_emit(const Stage& stage, int task, const StreamInfo& s,
                        const Values& values) const {
  std::string text;
  for (const auto& v : values) text += (text.empty() ? "" : ", ") + v.to_string();
  spdlog::info("{}:{} emitted on '{}' to {} task(s): [{}]", stage.component.id, task,
               s.schema.stream, stage.targets.size(), text);
}

void Executor::report_error(Stage& stage, int task, std::string_view message) {
  spdlog::warn("{}:{} error: {}", stage.component.id, task, message);
  stage.stats.report_error(message);
}

}  // namespace gale::runtime
