#pragma once
// Errors as values at the Nimbus boundary: NimbusErrc (registered as a std::error_category,
// "gale.nimbus"), carried in common's Error / Result<T> with a one-line message.
// Each code maps to one HTTP status of the API (docs/CLUSTER.md).
#include <string>
#include <system_error>
#include <type_traits>

#include "gale/common/result.h"

namespace gale::nimbus {

enum class NimbusErrc {
  ok = 0,
  bad_request,        // 400: invalid topology, bad key, not enough slots, malformed body
  unauthenticated,    // 401: no token, or not a valid one
  forbidden,          // 403: the caller's role or grants do not allow the call
  not_found,          // 404: unknown topology or path
  conflict,           // 409: topology name in use
  too_many_requests,  // 429: over nimbus.requests.per.sec
  not_leader,         // 503: another Nimbus leads
  unavailable,        // 503: this Nimbus cannot take changes now (its audit log cannot be written)
  internal,           // 500: ZooKeeper or file system failure
  unreachable,        // client side: no answer from Nimbus (connect, send or receive failed)
};

const std::error_category& nimbus_category() noexcept;

inline std::error_code make_error_code(NimbusErrc e) noexcept {
  return {static_cast<int>(e), nimbus_category()};
}

// The HTTP status an error answers with: NimbusErrc as above, anything else (a store error) 500.
int http_status(const std::error_code& code) noexcept;

}  // namespace gale::nimbus

template <>
struct std::is_error_code_enum<gale::nimbus::NimbusErrc> : std::true_type {};
