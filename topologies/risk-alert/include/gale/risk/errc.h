#pragma once
// Errors as values at the rules loader's boundary: RiskErrc, registered as a
// std::error_category ("gale.risk"), carried in Gale's Error / Result<T> (gale/result.h).
#include <system_error>
#include <type_traits>

#include "gale/result.h"

namespace gale::risk {

// Why load_rules / load_rules_file refused; the Error's message says exactly what and where,
// e.g. "rule #2 'dup', field 'id': duplicate: another rule has this id". The category's
// message() is the enumerator's name ("bad_rules", ...).
enum class RiskErrc {
  ok = 0,
  unreadable,  // load_rules_file: the rules file cannot be opened or read
  not_yaml,    // the document is not valid YAML (yaml-cpp's message, with line and column)
  bad_rules,   // valid YAML but not valid rules: the document's shape, a rule's field, a
               // duplicate id, an unknown list, a `when` that does not compile
  internal,    // the loader itself failed (no Lua state to check the conditions in, out of
               // memory): not the document's fault
};

// Thread-safe, lives for the whole process.
const std::error_category& risk_category() noexcept;

inline std::error_code make_error_code(RiskErrc e) noexcept {
  return {static_cast<int>(e), risk_category()};
}

}  // namespace gale::risk

template <>
struct std::is_error_code_enum<gale::risk::RiskErrc> : std::true_type {};
