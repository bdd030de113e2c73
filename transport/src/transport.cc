#include "gale/transport/transport.h"

namespace gale::transport {

const char* to_string(SendResult r) {
  switch (r) {
    case SendResult::ok:
      return "ok";
    case SendResult::timed_out:
      return "timed out";
    case SendResult::unknown_peer:
      return "unknown peer";
    case SendResult::closed:
      return "closed";
  }
  return "?";
}

}  // namespace gale::transport
