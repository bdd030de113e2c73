#pragma once
// Errors as values in gale-query: QueryErrc, registered as a std::error_category
// ("gale.query"), carried in Gale's Error / Result<T>; http_status() gives each its answer.
#include <system_error>
#include <type_traits>

#include "gale/result.h"

namespace gale::query {

enum class QueryErrc {
  ok = 0,
  bad_template,  // a template file or template that cannot be served (refused at load)
  bad_request,   // a parameter of the wrong type, a missing one, an unknown one, a bad page
  not_found,     // no such template or route
  unavailable,   // the result database cannot be reached
  timeout,       // the query ran past query.timeout.ms and was cancelled
  internal,      // anything else the database refused
};

const std::error_category& query_category() noexcept;

inline std::error_code make_error_code(QueryErrc e) noexcept {
  return {static_cast<int>(e), query_category()};
}

// 400, 404, 503, 504, 500 (bad_template: 500, it never reaches a caller).
int http_status(QueryErrc e) noexcept;

}  // namespace gale::query

template <>
struct std::is_error_code_enum<gale::query::QueryErrc> : std::true_type {};
