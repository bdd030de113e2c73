#include "rate_limiter.h"

#include <algorithm>

namespace gale::nimbus {

namespace {
constexpr std::chrono::seconds kSweepEvery{60};
}

bool RateLimiter::take(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  forget_full(now);
  Bucket& bucket = refill(key, now);
  if (bucket.level < 1) return false;
  bucket.level -= 1;
  return true;
}

bool RateLimiter::has_room(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return refill(key, now).level >= 1;
}

RateLimiter::Bucket& RateLimiter::refill(const std::string& key, Clock::time_point now) {
  const double capacity = 2 * per_sec_;
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{capacity, now});
  Bucket& bucket = it->second;
  if (!fresh) {
    double secs = std::chrono::duration<double>(now - bucket.at).count();
    bucket.level = std::min(capacity, bucket.level + std::max(0.0, secs) * per_sec_);
    bucket.at = now;
  }
  return bucket;
}

void RateLimiter::forget_full(Clock::time_point now) {
  if (now - last_sweep_ < kSweepEvery) return;
  last_sweep_ = now;
  // A bucket idle for two seconds or more would be full again: dropping it changes nothing.
  std::erase_if(buckets_, [&](const auto& entry) {
    return now - entry.second.at >= std::chrono::seconds(2);
  });
}

}  // namespace gale::nimbus
