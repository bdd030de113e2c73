#pragma once
// Errors as values at the PostgreSQL client's boundary: PostgresErrc, registered as a
// std::error_category ("gale.postgres"), carried in Gale's Error / Result<T> (gale/result.h).
#include <system_error>
#include <type_traits>

#include "gale/result.h"

namespace gale::postgres {

// The category's message() is the enumerator's name ("connect", "io", ...).
enum class PostgresErrc {
  ok = 0,
  connect,    // could not connect or log in (refused, bad password, unknown database)
  io,         // the connection broke during the call
  timeout,    // no answer within postgres.timeout.ms; the connection is dropped
  backoff,    // not attempted: the last connect failed and the backoff has not passed
  statement,  // the server refused a statement (its SQLSTATE and message are in the Error)
  conflict,   // the transaction lost a deadlock or a serialization conflict (SQLSTATE class
              // 40): nothing of it stays, and the same statements may well succeed again
  schema,     // the table or a column a mapping names is not there, or not as the mapping needs
};

// Thread-safe, lives for the whole process.
const std::error_category& postgres_category() noexcept;

inline std::error_code make_error_code(PostgresErrc e) noexcept {
  return {static_cast<int>(e), postgres_category()};
}

}  // namespace gale::postgres

template <>
struct std::is_error_code_enum<gale::postgres::PostgresErrc> : std::true_type {};
