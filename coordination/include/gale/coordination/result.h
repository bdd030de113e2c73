#pragma once
// Errors as values at the coordination boundary: StoreErrc (registered as a std::error_category)
// and Result<T>, which holds either a T or an Error (code plus a message for humans).
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace gale::coordination {

enum class StoreErrc {
  ok = 0,
  no_node,          // the node (or, for create, its parent) does not exist
  node_exists,      // create: a node is already at that path
  bad_version,      // set/remove: the node's version is not the expected one
  not_empty,        // remove: the node has children
  connection_loss,  // no server answered within the operation timeout; outcome may be unknown
  session_expired,  // the session ended and could not be re-established in time
  closed,           // the store was closed
  invalid_path,     // malformed path or path-component name
  other,            // anything else, including malformed stored records; see the message
};

// The category's name is "gale.coordination.store". Thread-safe, lives for the whole process.
const std::error_category& store_category() noexcept;

inline std::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

struct Error {
  std::error_code code;
  std::string message;  // says what failed and where, e.g. "get /storms/x: no node"
};

inline Error make_error(StoreErrc e, std::string message) {
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
  const T* operator->() const { return &value(); }

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

}  // namespace gale::coordination

template <>
struct std::is_error_code_enum<gale::coordination::StoreErrc> : std::true_type {};
