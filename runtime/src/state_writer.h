#pragma once
// Writes checkpoint parts to the state backend on a thread of its own, so that an executor
// hands its snapshot over and goes on (asynchronous snapshots). One per Runtime with
// checkpoints; parts still queued when it stops are dropped (their checkpoint never
// completes, as after a crash).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "gale/state/backend.h"

namespace gale::runtime {

class StateWriter {
 public:
  StateWriter(std::shared_ptr<state::StateBackend> backend, std::string topology);
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  // Any thread: queues task `task`'s part of checkpoint `id` (`full`: it holds everything).
  // After a part of a task failed to be stored, that task's delta parts are dropped (they
  // would link to the missing one) until a full part is stored.
  void submit(int task, CheckpointId id, std::string bytes, bool full);
  // Any thread: whether a part of `task` failed and no full one has been stored since: its
  // next part must be full.
  bool failed(int task);
  // Stops the thread, dropping what is still queued. Idempotent.
  void stop();

 private:
  struct Job {
    int task;
    CheckpointId id;
    std::string bytes;
    bool full;
  };
  void run();

  std::shared_ptr<state::StateBackend> backend_;
  const std::string topology_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::set<int> failed_;  // tasks whose last stored part is not on their chain
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gale::runtime
