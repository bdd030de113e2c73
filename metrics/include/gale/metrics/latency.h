#pragma once
// The fixed buckets the runtime sorts sampled latencies into (complete latency and others),
// so that workers' buckets add up and Nimbus can give p50 and p99 over any interval.
#include <array>
#include <cstddef>

namespace gale::metrics {

// Upper bounds in milliseconds; one more bucket holds what is above the last.
inline constexpr std::array<double, 20> kLatencyBoundsMs = {
    0.05, 0.1, 0.2, 0.5,  1,    2,    5,     10,    20,    50,
    100,  200, 500, 1000, 2000, 5000, 10000, 30000, 60000, 300000};
inline constexpr std::size_t kLatencyBuckets = kLatencyBoundsMs.size() + 1;

}  // namespace gale::metrics
