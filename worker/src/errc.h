#pragma once
// Errors as values in the gale-worker process: WorkerErrc, registered as a std::error_category
// ("gale.worker"), carried in common's Error / Result<T> (gale/common/result.h).
#include <system_error>
#include <type_traits>

#include "gale/common/result.h"

namespace gale::worker {

enum class WorkerErrc {
  ok = 0,
  zookeeper,  // a cluster-state call failed (the message holds the store's error)
  io_error,   // a local file or folder could not be created, written or renamed
};

// Thread-safe, lives for the whole process.
const std::error_category& worker_category() noexcept;

inline std::error_code make_error_code(WorkerErrc e) noexcept {
  return {static_cast<int>(e), worker_category()};
}

}  // namespace gale::worker

template <>
struct std::is_error_code_enum<gale::worker::WorkerErrc> : std::true_type {};
