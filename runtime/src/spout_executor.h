#pragma once
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "executor.h"
#include "gale/common/id_map.h"
#include "gale/components.h"
#include "parked_batches.h"
#include "rotation_timer.h"

namespace gale::runtime {

class SpoutExecutor final : public Executor {
 public:
  SpoutExecutor(Runtime& runtime, int index, std::vector<int> chained);
  ~SpoutExecutor() override;
  std::int64_t pending() const override { return pending_total_.load(std::memory_order_relaxed); }
  bool holds_output() const override { return has_parked_.load(std::memory_order_relaxed); }
  // Any thread: a spout's source has input (SpoutCollector::input_available).
  void signal_input() {
    input_signalled_.store(true, std::memory_order_relaxed);
    wake();
  }

 private:
  class Collector;
  // A spout task's part of a checkpoint waits until every tree it emitted before the
  // barrier has completed: a tree that fails after its checkpoint completed would otherwise
  // be lost to a recovery that restores that checkpoint.
  struct HeldPart {
    CheckpointId id;
    std::uint16_t generation;  // the barriers sent before this one
    std::string bytes;
  };
  struct Task {
    int id = 0;
    // Declared before the spout so that they outlive it: a spout's source may signal its
    // collector from another thread until the spout is gone.
    std::unique_ptr<TopologyContext> context;
    std::unique_ptr<Collector> collector;
    std::unique_ptr<Spout> spout;
    std::int64_t pending = 0;
    bool polled = true;            // SpoutCollector::set_polled
    CheckpointId checkpoint = 0;   // the last checkpoint it took
    std::uint16_t generation = 0;  // barriers sent, modulo 2^16
    // Trees not yet completed, by the generation they were emitted in (with checkpoints).
    std::map<std::uint16_t, std::int64_t> open_trees;
    std::deque<HeldPart> held_parts;
  };
  // Packed, 12 bytes: with its root id a tracked tuple costs the spout 20 bytes a slot.
  struct [[gnu::packed]] Pending {
    MessageId message = 0;
    std::uint32_t slot : 15 = 0;    // index into tasks_
    std::uint32_t sampled : 1 = 0;  // its emit time is in sampled_ (complete latency)
    // With checkpoints: the barriers its task had sent when it was emitted, modulo 2^16.
    std::uint32_t generation : 16 = 0;
  };
  static constexpr std::size_t kMaxTasksPerExecutor = 1 << 15;
  static_assert(sizeof(Pending) == 12);

  void prepare() override;
  bool work() override;
  void shutdown() override;
  void on_full(int dest, BatchPtr batch) override;
  std::int64_t sleep_limit_ns(int empty_sleeps) override;
  // Input signalled by a source, or an activation change not yet seen (set_active rings).
  bool signalled() const override {
    return input_signalled_.load(std::memory_order_relaxed) || runtime_.active() != active_;
  }

  void emit(std::size_t slot, std::string_view stream, const Values& values, const MessageId* id,
            int direct_task);
  bool drain_inbox();
  bool retry_parked();
  void finish(std::uint64_t root, const Pending& p, bool acked);
  // Tells the spouts of the trees that completed as they were emitted (done_now_).
  bool finish_done_now();
  void sync_activation();
  void on_timers();
  // Checkpoints: restores a stateful spout's position after open(); takes the position and
  // sends the barrier of each checkpoint triggered (not while output is parked: the barrier
  // must follow every tuple emitted before it); tells spouts of completed checkpoints.
  void restore_position(Task& t);
  bool take_checkpoints();
  // Stores the held parts whose earlier trees have all completed.
  void store_parts(Task& t);
  void checkpoint_complete(int task, CheckpointId id);
  Task* task_by_id(int task);
  template <typename F>
  void call(Task& t, F&& f);

  Stage stage_;
  // Before tasks_: a spout's source may signal until the spout is destroyed.
  std::atomic<bool> input_signalled_{false};
  std::vector<Task> tasks_;
  RotatingIdMap<Pending> pending_;
  IdMap<std::int64_t> sampled_;  // root -> emit time, for the trees sampled for latency
  std::atomic<std::int64_t> pending_total_{0};
  // Trees complete when emitted (acking off, no targets, or ended inside the chain), not yet
  // told to their spout.
  struct Done {
    std::size_t slot;
    MessageId message;
    std::int64_t emitted_ns;  // sampled for complete latency; 0 if not
    bool failed;
  };
  std::vector<Done> done_now_;
  std::vector<std::pair<int, CheckpointId>> triggered_;  // (task, checkpoint) not yet taken
  ParkedBatches parked_;                                 // output refused by full queues downstream
  std::atomic<bool> has_parked_{false};
  std::int64_t max_pending_ = 0;
  bool active_ = false;
  std::uint64_t rounds_ = 0;
  RotationTimer expiry_;  // times out pending_
  std::int64_t next_flush_ns_ = 0;
};

}  // namespace gale::runtime
