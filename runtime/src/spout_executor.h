#pragma once
#include <deque>
#include <memory>
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
  SpoutExecutor(Runtime& runtime, int index);
  ~SpoutExecutor() override;
  std::int64_t pending() const override { return pending_total_.load(std::memory_order_relaxed); }
  bool holds_output() const override { return has_parked_.load(std::memory_order_relaxed); }

 private:
  class Collector;
  struct Task {
    int id = 0;
    std::unique_ptr<Spout> spout;
    std::unique_ptr<TopologyContext> context;
    std::unique_ptr<Collector> collector;
    std::int64_t pending = 0;
  };
  struct Pending {
    MessageId message = 0;
    std::size_t slot = 0;         // index into tasks_
    std::int64_t emitted_ns = 0;  // non-zero when sampled for complete latency
  };

  void prepare() override;
  bool work() override;
  void shutdown() override;
  void on_full(int dest, BatchPtr batch) override;

  void emit(std::size_t slot, std::string_view stream, const Values& values, const MessageId* id,
            int direct_task);
  bool drain_inbox();
  bool retry_parked();
  void finish(const Pending& p, bool acked);
  void ack_immediately();
  void sync_activation();
  void on_timers();
  template <typename F>
  void call(Task& t, F&& f);

  std::vector<Task> tasks_;
  RotatingIdMap<Pending> pending_;
  std::atomic<std::int64_t> pending_total_{0};
  std::vector<std::pair<std::size_t, MessageId>> ack_now_;
  ParkedBatches parked_;  // output refused by full queues downstream
  std::atomic<bool> has_parked_{false};
  std::int64_t max_pending_ = 0;
  bool active_ = false;
  std::uint64_t rounds_ = 0;
  RotationTimer expiry_;  // times out pending_
  std::int64_t next_flush_ns_ = 0;
};

}  // namespace gale::runtime
