#pragma once
// Errors as values at the coordination boundary: StoreErrc, registered as a std::error_category
// ("gale.coordination.store"), carried in common's Error / Result<T> (gale/common/result.h).
#include <system_error>
#include <type_traits>

#include "gale/common/result.h"

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
  not_authorized,   // the node's ACL does not admit this client (storm.zookeeper.auth.payload)
  other,            // anything else, including malformed stored records; see the message
};

// The category's name is "gale.coordination.store". Thread-safe, lives for the whole process.
const std::error_category& store_category() noexcept;

inline std::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

}  // namespace gale::coordination

template <>
struct std::is_error_code_enum<gale::coordination::StoreErrc> : std::true_type {};
