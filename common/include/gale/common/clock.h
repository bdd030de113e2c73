#pragma once
// Time as the runtime sees it. Timeouts, tick tuples and statistics read a Clock so that tests
// can drive time by hand (ManualClock) instead of sleeping.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace gale {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds. Thread-safe.
  virtual std::int64_t now_ns() const = 0;
  // How long a thread waiting for a time on this clock may sleep (in real time) before it
  // reads the clock again.
  virtual std::int64_t longest_sleep_ns() const { return 1'000'000'000; }
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static std::shared_ptr<Clock> shared();
};

// A clock that moves only when told. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ns = 1'000'000'000) : now_(start_ns) {}
  std::int64_t now_ns() const override { return now_.load(std::memory_order_acquire); }
  void advance(std::chrono::nanoseconds d) { now_.fetch_add(d.count(), std::memory_order_acq_rel); }
  // Time jumps when told, not as the sleeper's deadline comes: look again every millisecond.
  std::int64_t longest_sleep_ns() const override { return 1'000'000; }

 private:
  std::atomic<std::int64_t> now_;
};

inline constexpr std::int64_t kNanosPerMilli = 1'000'000;
inline constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace gale
