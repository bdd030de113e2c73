#pragma once
// Errors as values at the event parsers' boundary: EventsErrc, registered as a
// std::error_category ("gale.events"), carried in Gale's Error / Result<T> (gale/result.h).
#include <system_error>
#include <type_traits>

#include "gale/result.h"

namespace gale::events {

// Why parse_transaction / parse_account_change / parse_customer_profile refused their input;
// the Error's message says exactly what, e.g. "amount: expected a number".
enum class EventsErrc {
  ok = 0,
  not_json,       // not one JSON object: a syntax error, another JSON type, trailing content
  missing_field,  // a required field is absent ("missing field 'account'", or lat without lon)
  invalid_field,  // a field of the wrong type or with a value out of its domain
};

// Thread-safe, lives for the whole process.
const std::error_category& events_category() noexcept;

inline std::error_code make_error_code(EventsErrc e) noexcept {
  return {static_cast<int>(e), events_category()};
}

}  // namespace gale::events

template <>
struct std::is_error_code_enum<gale::events::EventsErrc> : std::true_type {};
