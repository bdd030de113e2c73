#pragma once
// RateLimiter: a token bucket per key (a principal, or a source address before the caller is
// known): `per_sec` refills a second, up to twice that held. Keys idle long enough to be full
// again are forgotten, so the table stays as small as the set of recent callers.
// Thread-safe (one mutex; each call is a map lookup).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gale::nimbus {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(std::int64_t per_sec) : per_sec_(static_cast<double>(per_sec)) {}

  // Takes one call from `key`'s bucket: false (and nothing taken) if it is empty.
  bool take(const std::string& key, Clock::time_point now = Clock::now());
  // Whether `key` has a call left, without taking it.
  bool has_room(const std::string& key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double level = 0;
    Clock::time_point at;
  };
  Bucket& refill(const std::string& key, Clock::time_point now);
  void forget_full(Clock::time_point now);

  double per_sec_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point last_sweep_{};
};

}  // namespace gale::nimbus
