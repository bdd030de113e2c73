#include "gale/common/errc.h"

#include <string>

namespace gale {
namespace {

class CommonCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.common"; }

  std::string message(int value) const override {
    switch (static_cast<CommonErrc>(value)) {
      case CommonErrc::ok:
        return "ok";
      case CommonErrc::io_error:
        return "i/o error";
      case CommonErrc::bad_config:
        return "bad config file";
      case CommonErrc::bad_setting:
        return "bad setting";
      case CommonErrc::malformed:
        return "malformed";
    }
    return "unknown common error";
  }
};

}  // namespace

const std::error_category& common_category() noexcept {
  static const CommonCategory category;
  return category;
}

}  // namespace gale
