#pragma once
// Random secrets from OpenSSL's generator, as lower-case hex: API tokens, topologies' ZooKeeper
// identities, a supervisor's log server's secret. Thread-safe.
#include <cstddef>
#include <string>

#include "gale/common/result.h"

namespace gale {

// `bytes` random bytes (32 by default: 256 bits) as 2 * `bytes` hex digits; io_error if the
// system's random source fails.
Result<std::string> random_secret_hex(std::size_t bytes = 32);

}  // namespace gale
