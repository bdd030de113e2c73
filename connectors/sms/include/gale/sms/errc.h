#pragma once
// Errors as values at the SMS gateway client's boundary: SmsErrc, registered as a
// std::error_category ("gale.sms"), carried in Gale's Error / Result<T> (gale/result.h).
#include <system_error>
#include <type_traits>

#include "gale/result.h"

namespace gale::sms {

// Why a send failed. The category's message() is the enumerator's name ("timeout", ...).
enum class SmsErrc {
  ok = 0,
  invalid_message,     // empty `to` or `reference`, or text that is not UTF-8: nothing was sent
  connection_refused,  // nothing listening at the URL
  connection_failed,   // name not resolved, connection reset or closed, ...
  timeout,             // connect or the whole request took too long
  server_error,        // HTTP 5xx
  rejected,            // HTTP 4xx (and any other non-2xx status)
  bad_response,        // not HTTP
};

// Thread-safe, lives for the whole process.
const std::error_category& sms_category() noexcept;

inline std::error_code make_error_code(SmsErrc e) noexcept {
  return {static_cast<int>(e), sms_category()};
}

}  // namespace gale::sms

template <>
struct std::is_error_code_enum<gale::sms::SmsErrc> : std::true_type {};
