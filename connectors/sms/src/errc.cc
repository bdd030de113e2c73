#include "gale/sms/errc.h"

#include <string>

namespace gale::sms {
namespace {

class SmsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.sms"; }

  std::string message(int value) const override {
    switch (static_cast<SmsErrc>(value)) {
      case SmsErrc::ok:
        return "ok";
      case SmsErrc::invalid_message:
        return "invalid_message";
      case SmsErrc::connection_refused:
        return "connection_refused";
      case SmsErrc::connection_failed:
        return "connection_failed";
      case SmsErrc::timeout:
        return "timeout";
      case SmsErrc::server_error:
        return "server_error";
      case SmsErrc::rejected:
        return "rejected";
      case SmsErrc::bad_response:
        return "bad_response";
    }
    return "unknown sms error";
  }
};

}  // namespace

const std::error_category& sms_category() noexcept {
  static const SmsCategory category;
  return category;
}

}  // namespace gale::sms
