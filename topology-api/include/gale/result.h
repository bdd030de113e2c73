#pragma once
// Errors as values, the one convention across Gale's modules: Result<T> holds either a T or an
// Error (a std::error_code plus a message for humans). Each module owns one errc enum, registered
// as a std::error_category (coordination's StoreErrc, transport's TransportErrc, nimbus's
// NimbusErrc, the SDK libraries' EventsErrc, RedisErrc and SmsErrc, ...); make_error builds an
// Error from any such enum.
//
// Part of the topology API's headers (standard library only) because the SDK libraries that
// topologies link (events, redis, sms) return it; Gale's internal modules include it as
// gale/common/result.h, which forwards here.
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace gale {

struct Error {
  std::error_code code;
  std::string message;  // says what failed and where, e.g. "get /storms/x: no node"
};

// An Error from any errc enum registered with std::is_error_code_enum (its make_error_code is
// found next to the enum).
template <class E>
requires std::is_error_code_enum_v<E> Error make_error(E e, std::string message) {
  return Error{make_error_code(e), std::move(message)};
}

// Either a value or an Error. Accessing value() of an error (or error() of a value) is a
// programming error and throws std::bad_variant_access.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  const T& value() const& { return std::get<0>(state_); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const { return std::get<1>(state_); }
  // The error code, or a default (success) error_code when this holds a value.
  std::error_code code() const { return ok() ? std::error_code{} : error().code; }

 private:
  std::variant<T, Error> state_;
};

// Success or an Error, for operations that produce no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const noexcept { return !error_.code; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const { return error_; }
  std::error_code code() const { return error_.code; }

 private:
  Error error_;
};

using Status = Result<void>;

}  // namespace gale
