#include "gale/notify/errc.h"

#include <string>

namespace gale::notify {
namespace {

class NotifyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.notify"; }

  std::string message(int value) const override {
    switch (static_cast<NotifyErrc>(value)) {
      case NotifyErrc::ok:
        return "ok";
      case NotifyErrc::unreadable:
        return "unreadable";
      case NotifyErrc::not_yaml:
        return "not_yaml";
      case NotifyErrc::bad_templates:
        return "bad_templates";
    }
    return "unknown notify error";
  }
};

}  // namespace

const std::error_category& notify_category() noexcept {
  static const NotifyCategory category;
  return category;
}

}  // namespace gale::notify
