#pragma once
// What a thread does when it has no work: spin briefly, then yield, then sleep (Storm 2.x's
// progressive wait), so a busy topology stays fast and an idle one costs no CPU. Call idle()
// on each empty poll (it sleeps for the park time once spinning and yielding are over), or
// spin() where the caller sleeps its own way (on a Doorbell); reset() whenever work was found.
#include <chrono>
#include <cstdint>
#include <thread>

namespace gale {

class ProgressiveWait {
 public:
  explicit ProgressiveWait(std::int64_t park_micros = 100, int spins = 100, int yields = 50)
      : park_us_(park_micros), spins_(spins), yields_(yields) {}

  void idle() {
    ++count_;
    if (count_ <= spins_) {
      pause();
    } else if (count_ <= spins_ + yields_) {
      std::this_thread::yield();
    } else if (park_us_ > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(park_us_));
    } else {
      std::this_thread::yield();
    }
  }
  // One round of spinning or yielding; false once they are over and the caller should sleep.
  bool spin() {
    if (count_ >= spins_ + yields_) return false;
    ++count_;
    if (count_ <= spins_) {
      pause();
    } else {
      std::this_thread::yield();
    }
    return true;
  }
  void reset() { count_ = 0; }
  // Skips spinning and yielding: for a thread that knows its wait will be long (blocked by a
  // full downstream queue), so that its core goes to the threads that will free it.
  void park() {
    count_ = spins_ + yields_;
    idle();
  }

 private:
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  std::int64_t park_us_;
  int spins_;
  int yields_;
  int count_ = 0;
};

}  // namespace gale
