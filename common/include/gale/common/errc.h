#pragma once
// Errors as values in common: CommonErrc, registered as a std::error_category ("gale.common"),
// carried in Error / Result<T> (gale/common/result.h).
#include <system_error>
#include <type_traits>

#include "gale/common/result.h"

namespace gale {

enum class CommonErrc {
  ok = 0,
  io_error,     // a file could not be read (the message names it)
  bad_config,   // a config file is malformed (the message names the file and line)
  bad_setting,  // a config key or value cannot be used (the message names the key)
  malformed,    // data from elsewhere or a name is not what it must be (the message names it)
};

// Thread-safe, lives for the whole process.
const std::error_category& common_category() noexcept;

inline std::error_code make_error_code(CommonErrc e) noexcept {
  return {static_cast<int>(e), common_category()};
}

}  // namespace gale

template <>
struct std::is_error_code_enum<gale::CommonErrc> : std::true_type {};
