#pragma once
// An executor: one thread running one or more tasks of one component, with a bounded input
// queue. The base class owns the thread, the input queue, the per-destination output batches,
// routing by groupings and the statistics; SpoutExecutor, BoltExecutor and AckerExecutor add
// what their tasks do.
#include <atomic>
#include <deque>
#include <limits>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "batch.h"
#include "executor_stats.h"
#include "gale/common/random.h"
#include "gale/common/wait_strategy.h"
#include "gale/context.h"
#include "gale/runtime/runtime.h"
#include "groupings.h"

namespace gale::runtime {

class Executor {
 public:
  Executor(Runtime& runtime, int index);
  virtual ~Executor();

  // Runs prepare() on the new thread and returns once it has finished (errors rethrown).
  void start();
  void request_stop() { stop_.store(true, std::memory_order_release); }
  void join();

  BoundedQueue<BatchPtr>& inbox() { return inbox_; }
  int index() const { return index_; }
  const ComponentInfo& component() const { return component_; }
  const ExecutorStats& stats() const { return stats_; }
  // No queued input, no buffered output: safe to read from any thread, racy by nature.
  bool idle() const { return idle_.load(std::memory_order_acquire) && inbox_.size_approx() == 0; }
  // Tracked spout tuples not yet completed (spout executors only).
  virtual std::int64_t pending() const { return 0; }
  // Output held back by backpressure (spout executors only).
  virtual bool holds_output() const { return false; }

 protected:
  // On the executor thread: create the tasks' instances and call open()/prepare().
  virtual void prepare() = 0;
  // On the executor thread: one round of work. Returns whether anything was done.
  virtual bool work() = 0;
  // On the executor thread after the loop ends: close()/cleanup().
  virtual void shutdown() = 0;
  // A push to a full queue: bolts and ackers wait (backpressure), spouts keep it aside.
  virtual void on_full(int dest, BatchPtr batch);

  // Called on taking input, before processing it, so that idle() never sees work in hand.
  void mark_busy() { idle_.store(false, std::memory_order_release); }
  bool stopping() const { return stop_.load(std::memory_order_acquire); }
  std::int64_t now() const { return runtime_.clock().now_ns(); }
  // One tuple in topology.stats.sample.rate is timed: a countdown, no division per tuple.
  bool sample_now() {
    if (--sample_countdown_ > 0) return false;
    sample_countdown_ = runtime_.settings().sample_every > 0
                            ? runtime_.settings().sample_every
                            : std::numeric_limits<std::int64_t>::max();
    return runtime_.settings().sample_every > 0;
  }

  // --- output ---
  // A slot in the batch for `target_task`'s executor. Fill it before the next call.
  Tuple& slot_for(int target_task);
  // Sends acker message `m` to the task that takes it (ack_target_task).
  void send_ack(const AckMessage& m);
  // Pushes every buffered batch downstream.
  void flush();
  void push(int dest, BatchPtr batch);
  // Batches this executor sent to itself (a bolt subscribed to its own stream): processed
  // before the input queue so a self-loop never waits on its own full queue.
  BatchPtr take_self_batch();

  // The stream an emit goes to and, in targets_, the tasks it goes to. Throws
  // std::invalid_argument naming the problem (undeclared stream, wrong number of values,
  // direct/indirect mismatch).
  const StreamInfo& route(int source_task, std::string_view stream, const Values& values,
                          int direct_task);
  void log_emit(int task, const StreamInfo& s, const Values& values) const;
  void report_error(int task, std::string_view message);

  Runtime& runtime_;
  const Layout& layout_;
  const int index_;
  const ExecutorInfo& info_;
  const ComponentInfo& component_;
  ExecutorStats stats_;
  IdGenerator ids_;
  std::vector<int> targets_;                    // scratch: the targets of the current emit
  const StreamInfo* default_stream_ = nullptr;  // null when the component declares none
  bool debug_ = false;

 private:
  void thread_main();
  void build_groupings();
  // The open batch for `target_task`'s executor, sending a full one first.
  Batch& batch_for(int target_task);

  // Free batches an executor keeps for its output; more in flight are allocated and freed.
  static constexpr std::size_t kOutputPoolBatches = 1024;

  BoundedQueue<BatchPtr> inbox_;
  BatchPool pool_;
  std::vector<BatchPtr> out_;  // by destination executor
  std::vector<int> dirty_;     // destinations with a batch in out_
  std::deque<BatchPtr> self_;
  // groupings_[stream index][subscription index]
  std::vector<std::vector<std::unique_ptr<StreamGrouping>>> groupings_;
  std::unique_ptr<TopologyContext> grouping_context_;
  std::int64_t sample_countdown_ = 1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> idle_{false};
  std::thread thread_;
};

std::unique_ptr<Executor> make_executor(Runtime& runtime, int index);
// The context a task sees.
std::unique_ptr<TopologyContext> make_context(const Runtime& runtime, int task);

}  // namespace gale::runtime
