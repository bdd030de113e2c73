#include "gale/transport/errc.h"

#include <string>

namespace gale::transport {
namespace {

class TransportCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.transport"; }

  std::string message(int value) const override {
    switch (static_cast<TransportErrc>(value)) {
      case TransportErrc::ok:
        return "ok";
      case TransportErrc::bind_failed:
        return "cannot bind";
      case TransportErrc::connect_failed:
        return "cannot connect";
      case TransportErrc::already_connected:
        return "peer already connected";
      case TransportErrc::oversized_batch:
        return "oversized batch";
      case TransportErrc::not_a_batch:
        return "not a Gale batch";
      case TransportErrc::unsupported_batch:
        return "unsupported batch format";
      case TransportErrc::malformed_batch:
        return "malformed batch";
    }
    return "unknown transport error";
  }
};

}  // namespace

const std::error_category& transport_category() noexcept {
  static const TransportCategory category;
  return category;
}

}  // namespace gale::transport
