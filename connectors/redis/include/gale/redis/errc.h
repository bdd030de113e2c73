#pragma once
// Errors as values at the Redis client's boundary: RedisErrc, registered as a
// std::error_category ("gale.redis"), carried in Gale's Error / Result<T> (gale/result.h).
#include <system_error>
#include <type_traits>

#include "gale/result.h"

namespace gale::redis {

// Why a call got no reply. A reply of Redis's own error type (WRONGTYPE, ERR ...) is not
// this: it is a Reply of Type::error, and the connection stays usable. The category's
// message() is the enumerator's name ("connect", "io", ...).
enum class RedisErrc {
  ok = 0,
  connect,          // could not connect, or AUTH/SELECT on connect failed
  io,               // the connection broke during the call (the server went away)
  timeout,          // no reply within options.timeout; the connection is dropped
  protocol,         // the server sent something that is not RESP
  backoff,          // not attempted: the last reconnect failed and the backoff has not passed
  invalid_command,  // an empty argv; nothing was sent
};

// Thread-safe, lives for the whole process.
const std::error_category& redis_category() noexcept;

inline std::error_code make_error_code(RedisErrc e) noexcept {
  return {static_cast<int>(e), redis_category()};
}

}  // namespace gale::redis

template <>
struct std::is_error_code_enum<gale::redis::RedisErrc> : std::true_type {};
