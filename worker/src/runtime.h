#pragma once
// The executors of one worker process and what they share: the layout, the clock, the
// activation flag, and each executor's input queue. Local mode runs every executor of the
// topology in one Runtime.
#include <atomic>
#include <memory>
#include <vector>

#include "gale/common/clock.h"
#include "gale/worker/stats.h"
#include "layout.h"

namespace gale::worker {

class Executor;

struct RuntimeSettings {
  std::size_t batch_size;
  std::size_t inbox_batches;  // capacity of each executor's input queue, in batches
  std::int64_t flush_interval_ns;
  std::int64_t timeout_ns;  // 0: message timeouts off
  int sample_every;         // 0: no latency sampling
  std::int64_t spout_park_us;
  std::int64_t bolt_park_us;

  static RuntimeSettings from(const Config& conf);
};

class Runtime {
 public:
  Runtime(const Layout& layout, std::shared_ptr<Clock> clock);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Creates every executor, runs open()/prepare() on their threads, then starts them.
  void start();
  void set_active(bool active) { active_.store(active, std::memory_order_release); }
  bool active() const { return active_.load(std::memory_order_acquire); }
  // True when no tuple is queued, buffered or (with acking) pending anywhere.
  bool quiescent() const;
  // True when no tuple is queued or buffered anywhere (trees may still be pending).
  bool idle() const;
  // Stops every executor (close()/cleanup() run on their threads) and joins them.
  void stop();

  const Layout& layout() const { return layout_; }
  const Clock& clock() const { return *clock_; }
  const RuntimeSettings& settings() const { return settings_; }
  const std::vector<int>& worker_tasks() const { return worker_tasks_; }
  Executor& executor(int index) { return *executors_[static_cast<std::size_t>(index)]; }
  TopologyStats stats() const;

 private:
  const Layout& layout_;
  std::shared_ptr<Clock> clock_;
  RuntimeSettings settings_;
  std::vector<int> worker_tasks_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::atomic<bool> active_{false};
  std::int64_t started_ns_ = 0;
};

}  // namespace gale::worker
