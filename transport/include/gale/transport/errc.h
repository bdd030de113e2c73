#pragma once
// Errors as values at the transport's boundary: TransportErrc, registered as a
// std::error_category ("gale.transport"), carried in common's Error / Result<T>
// (gale/common/result.h).
#include <system_error>
#include <type_traits>

#include "gale/common/result.h"

namespace gale::transport {

enum class TransportErrc {
  ok = 0,
  bind_failed,        // bind(): already bound, address in use, or an invalid endpoint
  connect_failed,     // connect(): an invalid endpoint
  already_connected,  // connect(): the peer id is already connected
  oversized_batch,    // decode: the batch is larger than the decoder's limit
  not_a_batch,        // decode: too short for the header, or a bad magic
  unsupported_batch,  // decode: another wire format version, or unknown header flags
  malformed_batch,    // decode: truncated, type-confused or trailing bytes (the message says)
};

// Thread-safe, lives for the whole process.
const std::error_category& transport_category() noexcept;

inline std::error_code make_error_code(TransportErrc e) noexcept {
  return {static_cast<int>(e), transport_category()};
}

}  // namespace gale::transport

template <>
struct std::is_error_code_enum<gale::transport::TransportErrc> : std::true_type {};
