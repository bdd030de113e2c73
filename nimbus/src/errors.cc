#include "gale/nimbus/errors.h"

namespace gale::nimbus {

namespace {

class NimbusCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.nimbus"; }
  std::string message(int value) const override {
    switch (static_cast<NimbusErrc>(value)) {
      case NimbusErrc::ok:
        return "ok";
      case NimbusErrc::bad_request:
        return "bad request";
      case NimbusErrc::unauthenticated:
        return "unauthenticated";
      case NimbusErrc::forbidden:
        return "forbidden";
      case NimbusErrc::too_many_requests:
        return "too many requests";
      case NimbusErrc::not_found:
        return "not found";
      case NimbusErrc::conflict:
        return "conflict";
      case NimbusErrc::not_leader:
        return "not the leader";
      case NimbusErrc::unavailable:
        return "unavailable";
      case NimbusErrc::internal:
        return "internal error";
      case NimbusErrc::unreachable:
        return "Nimbus unreachable";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& nimbus_category() noexcept {
  static const NimbusCategory category;
  return category;
}

int http_status(const std::error_code& code) noexcept {
  if (code.category() != nimbus_category()) return 500;
  switch (static_cast<NimbusErrc>(code.value())) {
    case NimbusErrc::ok:
      return 200;
    case NimbusErrc::bad_request:
      return 400;
    case NimbusErrc::unauthenticated:
      return 401;
    case NimbusErrc::forbidden:
      return 403;
    case NimbusErrc::too_many_requests:
      return 429;
    case NimbusErrc::not_found:
      return 404;
    case NimbusErrc::conflict:
      return 409;
    case NimbusErrc::not_leader:
    case NimbusErrc::unavailable:
      return 503;
    case NimbusErrc::internal:
      return 500;
    case NimbusErrc::unreachable:
      return 502;
  }
  return 500;
}

}  // namespace gale::nimbus
