#pragma once
// A doorbell: how a thread with nothing to do sleeps until someone gives it work, instead of
// polling. The owner announces that it is going to sleep, checks once more for work, and
// sleeps on a futex; a producer that has just made work visible rings, which costs a fence and
// one relaxed load unless the owner is actually asleep, and one wake-up system call when it is.
//
//   owner:    bell.prepare_sleep();  if (work visible) bell.cancel_sleep(); else bell.sleep(t);
//   producer: publish the work (e.g. a queue push);  bell.ring();
//
// The two fences make the handshake a Dekker pair: either the producer sees the owner asleep
// and wakes it, or the owner's last check sees the work. Linux only (futex).
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "gale/common/clock.h"

namespace gale {

class Doorbell {
 public:
  // Any thread, after publishing work for the owner.
  void ring() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (state_.load(std::memory_order_relaxed) == kAsleep) wake();
  }

  // The owner only. Between prepare_sleep() and sleep()/cancel_sleep() it checks for work.
  void prepare_sleep() {
    state_.store(kAsleep, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  void cancel_sleep() { state_.store(kAwake, std::memory_order_relaxed); }
  // Sleeps until rung or `timeout_ns` has passed (spurious returns are possible). Returns
  // whether it was rung.
  bool sleep(std::int64_t timeout_ns) {
    if (timeout_ns > 0) {
      timespec ts{static_cast<time_t>(timeout_ns / kNanosPerSecond),
                  static_cast<long>(timeout_ns % kNanosPerSecond)};
      syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, kAsleep,
              &ts, nullptr, 0);
    }
    return state_.exchange(kAwake, std::memory_order_acquire) == kAwake;
  }

 private:
  static constexpr std::uint32_t kAwake = 0;
  static constexpr std::uint32_t kAsleep = 1;
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

  void wake() {
    if (state_.exchange(kAwake, std::memory_order_release) == kAsleep)
      syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr,
              nullptr, 0);
  }

  std::atomic<std::uint32_t> state_{kAwake};
};

}  // namespace gale
