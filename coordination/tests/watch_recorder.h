#pragma once
// WatchRecorder: collects watch events from a store's callback thread so a test thread can
// wait for them with a deadline.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "gale/coordination/state_store.h"

namespace gale::coordination::testing {

template <class Event>
class Recorder {
 public:
  // A callback that records into this recorder; the recorder must outlive the store's calls.
  auto callback() {
    return [this](const Event& event) {
      std::lock_guard lock(mutex_);
      events_.push_back(event);
      changed_.notify_all();
    };
  }

  // True once at least `count` events arrived, false if `timeout` passed first.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
  }

  // True once `wanted` arrived, false if `timeout` passed first.
  bool wait_for_event(const Event& wanted,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      return std::find(events_.begin(), events_.end(), wanted) != events_.end();
    });
  }

  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
};

using WatchRecorder = Recorder<WatchEvent>;

}  // namespace gale::coordination::testing
