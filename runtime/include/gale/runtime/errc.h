#pragma once
// Errors as values at the runtime's boundary: RuntimeErrc, registered as a std::error_category
// ("gale.runtime"), carried in common's Error / Result<T> (gale/common/result.h).
#include <system_error>
#include <type_traits>

#include "gale/common/result.h"

namespace gale::runtime {

enum class RuntimeErrc {
  ok = 0,
  cannot_open,       // a topology file does not exist or cannot be read
  not_a_library,     // the file is not a shared library, or dlopen refused it
  no_entry_point,    // the library has no GALE_TOPOLOGY entry point, or it returned nothing
  api_version,       // the library was built against another topology API version
  invalid_topology,  // building or laying out the topology failed (the message says why)
  refused_batch,     // a message from another worker does not fit the layout (Inbound)
};

// Thread-safe, lives for the whole process.
const std::error_category& runtime_category() noexcept;

inline std::error_code make_error_code(RuntimeErrc e) noexcept {
  return {static_cast<int>(e), runtime_category()};
}

}  // namespace gale::runtime

template <>
struct std::is_error_code_enum<gale::runtime::RuntimeErrc> : std::true_type {};
