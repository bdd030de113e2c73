#pragma once
// Errors as values from state backends: StateErrc, category "gale.state".
#include <system_error>
#include <type_traits>

#include "gale/common/result.h"

namespace gale::state {

enum class StateErrc {
  ok = 0,
  unavailable,   // the backend cannot be reached or refused the operation
  corrupt,       // stored bytes do not decode, or a chain is broken
  incompatible,  // a restored state has another type than the one declared
  bad_config,    // an unknown backend or a key out of range
  fenced,        // a newer assignment epoch started: this one may not complete checkpoints
  not_found,     // no such savepoint, or no complete checkpoint to save
  exists,        // a savepoint of that name exists
};

const std::error_category& state_category() noexcept;

inline std::error_code make_error_code(StateErrc e) noexcept {
  return {static_cast<int>(e), state_category()};
}

}  // namespace gale::state

template <>
struct std::is_error_code_enum<gale::state::StateErrc> : std::true_type {};
