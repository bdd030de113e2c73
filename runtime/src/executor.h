#pragma once
// An executor: one thread running one or more tasks of one component, with a bounded input
// queue, and the tasks of bolts chained into it (topology.chaining). The base class owns the
// thread, the input queue, the per-destination output batches, routing by groupings, the
// chained bolts and the wait strategy; SpoutExecutor, BoltExecutor and AckerExecutor add what
// their own component's tasks do.
#include <algorithm>
#include <atomic>
#include <deque>
#include <limits>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "batch.h"
#include "executor_stats.h"
#include "gale/common/doorbell.h"
#include "gale/common/random.h"
#include "gale/common/wait_strategy.h"
#include "gale/context.h"
#include "gale/runtime/runtime.h"
#include "groupings.h"

namespace gale::runtime {

class BoltStage;

// One component's share of an executor: the executor's own component (its head) or a bolt
// chained into it. Its routing, statistics and emit scratch; used only on the executor thread
// (the statistics are read from any thread).
struct Stage {
  Stage(const Layout& layout, int executor_index);
  virtual ~Stage() = default;

  const int executor_index;  // the executor of this component it runs (Layout::executors)
  const ExecutorInfo& info;
  const ComponentInfo& component;
  const StreamInfo* default_stream;  // null when the component declares none
  const bool debug;
  ExecutorStats stats;
  // groupings[stream index][subscription index]
  std::vector<std::vector<std::unique_ptr<StreamGrouping>>> groupings;
  std::unique_ptr<TopologyContext> grouping_context;
  std::vector<int> targets;  // scratch: the targets of the current emit

  // One tuple in topology.stats.sample.rate is timed (`sample_every`, 0: none): a countdown
  // per stage, so that stages sharing a thread are each sampled.
  bool sample_now(int sample_every) {
    if (--sample_countdown > 0) return false;
    sample_countdown = sample_every > 0 ? sample_every : std::numeric_limits<std::int64_t>::max();
    return sample_every > 0;
  }
  std::int64_t sample_countdown = 1;
  std::int64_t debug_countdown = 1;  // the same for topology.debug.sample.rate
};

class Executor {
 public:
  // `chained`: the executors of bolts chained into this one that run here (Runtime decides),
  // each after its chain parent.
  Executor(Runtime& runtime, int index, std::vector<int> chained);
  virtual ~Executor();

  // Runs prepare() on the new thread and returns once it has finished (errors rethrown).
  // `cpu` >= 0: the thread runs on that CPU only (topology.worker.cpus).
  void start(int cpu = -1);
  void request_stop() {
    stop_.store(true, std::memory_order_release);
    bell_.ring();
  }
  void join();

  // Any thread: hands `batch` to this executor's input queue and wakes it if it sleeps. False
  // (and `batch` untouched) when the queue is full.
  bool deliver(BatchPtr& batch) {
    if (!inbox_.try_push(batch)) return false;
    bell_.ring();
    return true;
  }
  // Any thread: wakes the executor to look at shared state again (activation).
  void wake() { bell_.ring(); }
  const ComponentInfo& component() const { return component_; }
  // Calls f(const Stage&) for its own component and each chained bolt.
  template <typename F>
  void for_each_stage(F&& f) const;
  // No queued input, no buffered output: safe to read from any thread, racy by nature.
  bool idle() const { return idle_.load(std::memory_order_acquire) && inbox_.size_approx() == 0; }
  // Tracked spout tuples not yet completed (spout executors only).
  virtual std::int64_t pending() const { return 0; }
  // Output held back by backpressure (spout executors only).
  virtual bool holds_output() const { return false; }
  // Any thread: adds what the checkpoint coordinator knows (its executor only).
  virtual void add_checkpoint_stats(TopologyStats&) const {}
  // Any thread: how long the thread has run its loop, and of that how long it waited for input
  // (idle) and for room downstream (backpressured): Flink's busy / idle / backpressured time.
  struct Time {
    std::uint64_t alive_ns = 0, idle_ns = 0, backpressured_ns = 0;
  };
  Time time() const;

  // --- for the stages, on the executor thread ---
  Runtime& runtime() { return runtime_; }
  std::int64_t now() const { return runtime_.clock().now_ns(); }
  std::uint64_t next_id() { return ids_.next(); }
  // The stream an emit of `stage` goes to and, in stage.targets, the tasks it goes to. Throws
  // std::invalid_argument naming the problem (undeclared stream, wrong number of values,
  // direct/indirect mismatch).
  const StreamInfo& route(Stage& stage, int source_task, std::string_view stream,
                          const Values& values, int direct_task);
  // The bolt chained into this executor that runs `task`, or null: a tuple for it is filled in
  // its input() and executed at once instead of going into a batch.
  BoltStage* chained(int task) const {
    return static_cast<std::size_t>(task) < chained_by_task_.size()
               ? chained_by_task_[static_cast<std::size_t>(task)]
               : nullptr;
  }
  // Names one emit, for the slots it fills (never 0).
  std::uint32_t next_emit() {
    if (++emit_seq_ == 0) ++emit_seq_;
    return emit_seq_;
  }
  // A slot for `target_task` in the batch that carries output to it (its executor's; for an
  // executor in another worker, the batch for that worker). Fill it before the next call.
  Tuple& slot_for(int target_task, std::uint32_t emit);
  // Sends acker message `m` to the task that takes it (ack_target_task), or folds it while a
  // chain runs (begin_fold).
  void send_ack(const AckMessage& m);
  // Sends barrier `id` from `task` of `stage` to every task downstream of its component
  // (ComponentInfo::barrier), after everything it emitted before; a chained task takes it at
  // once.
  void emit_barrier(const Stage& stage, int task, CheckpointId id);
  void log_emit(const Stage& stage, int task, const StreamInfo& s, const Values& values) const;
  void report_error(Stage& stage, int task, std::string_view message);

 protected:
  // On the executor thread: create the tasks' instances and call open()/prepare().
  virtual void prepare() = 0;
  // On the executor thread: one round of work. Returns whether anything was done.
  virtual bool work() = 0;
  // On the executor thread after the loop ends: close()/cleanup().
  virtual void shutdown() = 0;
  // On the executor thread, when work() found nothing: the longest it may sleep before its
  // next look, should no input arrive (input wakes it at once). `empty_sleeps`: how many times
  // it has slept since it last did work.
  virtual std::int64_t sleep_limit_ns(int empty_sleeps) = 0;
  // Checked after announcing sleep: work signalled other than by input (a spout's source).
  virtual bool signalled() const { return false; }
  // A push to a full queue: bolts and ackers wait (backpressure), spouts keep it aside.
  virtual void on_full(int dest, BatchPtr batch);

  // Called on taking input, before processing it, so that idle() never sees work in hand.
  void mark_busy() { idle_.store(false, std::memory_order_release); }
  bool stopping() const { return stop_.load(std::memory_order_acquire); }
  BoundedQueue<BatchPtr>& inbox() { return inbox_; }
  static constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();
  // The nanoseconds from now until `deadline_ns` on the runtime's clock, at least 1.
  std::int64_t until(std::int64_t deadline_ns) const {
    return std::max<std::int64_t>(1, deadline_ns - now());
  }

  // --- the chained bolts ---
  // Executes queued input for `task`: a chained bolt's task, else one of `own`'s (the
  // executor's own bolt; null for a spout, which takes tuples only for its chained bolts).
  // The acks of what runs are folded (begin_fold).
  void execute_input(int task, const Tuple& t, BoltStage* own);
  // Tick tuples due to the chained bolts; the earliest next one (kNoLimit: none).
  void deliver_chained_ticks();
  std::int64_t next_chained_tick_ns() const;

  // --- acks folded inside a chain ---
  // While a chain runs one tuple (a spout's emit, or one input of an executor with bolts
  // chained into it), the acks and fails its stages send are folded per root and sent once at
  // end_fold(): an edge that starts and ends inside the chain never reaches the acker.
  // Returns false (and folds nothing) when no bolt is chained here or a fold is open already.
  bool begin_fold() {
    if (chained_.empty() || folding_) return false;
    folding_ = true;
    return true;
  }
  struct Fold {
    std::uint64_t root = 0;
    std::uint64_t value = 0;  // XOR of the folded acks
    bool failed = false;
  };
  // Removes and returns what was folded for `root` (a spout's own tree); zero if nothing.
  Fold take_fold(std::uint64_t root);
  // Sends what was folded, one ack (and a fail if there was one) per root, and stops folding.
  void end_fold();
  // Ends a fold begun by begin_fold() when it leaves scope, however (an exception included).
  class FoldScope {
   public:
    explicit FoldScope(Executor& e) : e_(e), open_(e.begin_fold()) {}
    ~FoldScope() {
      if (open_) e_.end_fold();
    }
    FoldScope(const FoldScope&) = delete;
    FoldScope& operator=(const FoldScope&) = delete;
    bool open() const { return open_; }

   private:
    Executor& e_;
    bool open_;
  };

  // --- output ---
  // Pushes every buffered batch downstream.
  void flush();
  void push(int dest, BatchPtr batch);
  // Batches this executor sent to itself (a bolt subscribed to its own stream): processed
  // before the input queue so a self-loop never waits on its own full queue.
  BatchPtr take_self_batch();

  Runtime& runtime_;
  const Layout& layout_;
  const int index_;
  const ExecutorInfo& info_;
  const ComponentInfo& component_;
  // The executor's own component's stage, set by the derived constructor.
  Stage* head_ = nullptr;

 private:
  void thread_main();
  // Sleeps on the doorbell unless input arrived meanwhile.
  void sleep(int empty_sleeps);
  void build_groupings(Stage& stage);
  // The open batch for `target_task`'s executor, sending a full one first.
  Batch& batch_for(int target_task);

  // Consecutive empty sleeps counted (a spout's back-off has long reached its top by then).
  static constexpr int kMaxEmptySleeps = 64;
  // Free batches an executor keeps for its output; more in flight are allocated and freed.
  static constexpr std::size_t kOutputPoolBatches = 1024;

  BoundedQueue<BatchPtr> inbox_;
  BatchPool pool_;
  std::vector<BatchPtr> out_;  // by destination executor
  std::vector<int> dirty_;     // destinations with a batch in out_
  std::deque<BatchPtr> self_;
  std::vector<std::unique_ptr<BoltStage>> chained_;
  std::vector<BoltStage*> chained_by_task_;  // by task id
  // Roots folded between begin_fold and end_fold: few (one per tree a chain touches), so a
  // linear search; past kMaxFolds roots acks go out unfolded.
  static constexpr std::size_t kMaxFolds = 8;
  std::vector<Fold> folds_;
  bool folding_ = false;
  IdGenerator ids_;
  std::uint32_t emit_seq_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> idle_{false};
  // time(): the thread's start on the steady clock (0 before), its waits.
  std::atomic<std::int64_t> started_ns_{0};
  Counter idle_ns_, backpressured_ns_;
  std::atomic<std::int64_t> waiting_since_{-1};  // the wait going on, if any
  std::atomic<bool> waiting_blocked_{false};
  std::atomic<std::uint32_t> time_seq_{0};  // odd while the executor thread writes the above
  std::int64_t stretch_start_ = -1;         // executor thread: the wait going on
  bool stretch_blocked_ = false;
  // Executor thread: a stretch without work starts (or changes from idle to held back, or
  // back), or ends; counted as idle or backpressured time (time()).
  void begin_wait(bool blocked);
  // `at`: when it ended (steady ns), -1: now.
  void end_wait(std::int64_t at = -1);
  Doorbell bell_;  // rung by deliver(), wake() and request_stop()
  std::thread thread_;
};

std::unique_ptr<Executor> make_executor(Runtime& runtime, int index, std::vector<int> chained);
// The context a task sees.
std::unique_ptr<TopologyContext> make_context(const Runtime& runtime, int task);

}  // namespace gale::runtime
