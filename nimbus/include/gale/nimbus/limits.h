#pragma once
// The ranges of the integers Nimbus's API and the `gale` CLI take. A value outside is refused
// with its key and the range, never truncated or wrapped (docs/CLUSTER.md, "Nimbus HTTP API").
#include <cstdint>

namespace gale::nimbus {

inline constexpr std::int64_t kMaxWorkers = 10000;    // workers of a topology
inline constexpr std::int64_t kMaxExecutors = 10000;  // executors of a component
inline constexpr std::int64_t kMaxWaitSecs = 86400;   // kill's and rebalance's wait

}  // namespace gale::nimbus
