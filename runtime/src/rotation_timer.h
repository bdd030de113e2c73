#pragma once
// The message timeout, as Storm's RotatingMap keeps it: pending entries live in kTimeoutBuckets
// generations and one generation expires every timeout / (kTimeoutBuckets - 1), so an entry
// expires between 1x and 1.33x the timeout. One timer serves the spout (its tracked tuples) and
// the acker (its trees); each belongs to its executor's thread.
#include <cstdint>

namespace gale::runtime {

inline constexpr int kTimeoutBuckets = 4;
// A busy executor checks its timers every this many rounds of work; an idle one every round.
inline constexpr std::uint64_t kTimerCheckRounds = 64;

class RotationTimer {
 public:
  // `timeout_ns` 0: timeouts off, due() is always 0.
  void start(std::int64_t now_ns, std::int64_t timeout_ns) {
    every_ns_ = timeout_ns > 0 ? timeout_ns / (kTimeoutBuckets - 1) : 0;
    next_ns_ = now_ns + every_ns_;
  }
  // How many generations have come due by `now_ns` (usually 0 or 1); counts them as done.
  int due(std::int64_t now_ns) {
    int n = 0;
    for (; every_ns_ > 0 && now_ns >= next_ns_; ++n) next_ns_ += every_ns_;
    return n;
  }
  bool enabled() const { return every_ns_ > 0; }
  // When the next generation comes due (only when enabled).
  std::int64_t next_ns() const { return next_ns_; }

 private:
  std::int64_t every_ns_ = 0;
  std::int64_t next_ns_ = 0;
};

}  // namespace gale::runtime
