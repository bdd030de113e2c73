#pragma once
// What a failed ZooKeeper read or write answers a caller with: while ZooKeeper cannot be
// reached, 503 (unavailable) with a message that says so and to try again; any other store
// failure is a 500. A write that lost its connection may or may not have happened: the message
// keeps the store's words, and a retry of any Gale request is safe.
#include <string>
#include <string_view>

#include "gale/common/result.h"
#include "gale/coordination/errc.h"
#include "gale/nimbus/errors.h"

namespace gale::nimbus {

// True when `error` is a store call that could not reach ZooKeeper (worth trying again later).
inline bool zookeeper_unreachable(const Error& error) {
  return error.code == coordination::StoreErrc::connection_loss ||
         error.code == coordination::StoreErrc::session_expired;
}

inline Error store_failure(const Error& error, std::string_view doing = {}) {
  std::string message = doing.empty() ? error.message : std::string(doing) + ": " + error.message;
  if (zookeeper_unreachable(error))
    return make_error(NimbusErrc::unavailable,
                      "ZooKeeper is unreachable, try again when it is "
                      "back (" +
                          message + ")");
  return make_error(NimbusErrc::internal, message);
}

}  // namespace gale::nimbus
