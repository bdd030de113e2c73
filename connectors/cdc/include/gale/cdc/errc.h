#pragma once
// Errors as values at the CDC decoder's boundary: CdcErrc, registered as a std::error_category
// ("gale.cdc"), carried in Gale's Error / Result<T> (gale/result.h). The Error's message names
// the problem; a change that gets one goes to the dead-letter topic with it.
#include <system_error>
#include <type_traits>

#include "gale/result.h"

namespace gale::cdc {

enum class CdcErrc {
  ok = 0,
  not_json,     // the message is not JSON
  malformed,    // JSON, but not a change of the format (a field missing or of the wrong type)
  unsupported,  // a well-formed event that is not a row change (DDL, truncate, a message)
  no_key,       // the table's primary key is neither in the change nor configured
};

// Thread-safe, lives for the whole process.
const std::error_category& cdc_category() noexcept;

inline std::error_code make_error_code(CdcErrc e) noexcept {
  return {static_cast<int>(e), cdc_category()};
}

}  // namespace gale::cdc

template <>
struct std::is_error_code_enum<gale::cdc::CdcErrc> : std::true_type {};
