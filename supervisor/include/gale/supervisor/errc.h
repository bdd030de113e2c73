#pragma once
// Errors as values at the supervisor's boundary: SupervisorErrc, registered as a
// std::error_category ("gale.supervisor"), carried in common's Error / Result<T>.
#include <system_error>

#include "gale/common/result.h"

namespace gale::supervisor {

enum class SupervisorErrc {
  ok = 0,
  bad_setting,        // a config key's value cannot be used (the message names the key)
  download_failed,    // Nimbus did not deliver an artifact (unreachable, timeout, HTTP error)
  checksum_mismatch,  // an artifact's bytes do not have the sha256 it is named by
  io_error,           // a local file could not be read, written or renamed
  launch_failed,      // a worker process could not be started
  zookeeper,          // a cluster-state call failed (the message holds the store's error)
  no_such_log,        // the log server has no log for that topology and slot
};

// Thread-safe, lives for the whole process.
const std::error_category& supervisor_category() noexcept;

inline std::error_code make_error_code(SupervisorErrc e) noexcept {
  return {static_cast<int>(e), supervisor_category()};
}

}  // namespace gale::supervisor

template <>
struct std::is_error_code_enum<gale::supervisor::SupervisorErrc> : std::true_type {};
