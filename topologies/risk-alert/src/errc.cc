#include "gale/risk/errc.h"

#include <string>

namespace gale::risk {
namespace {

class RiskCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.risk"; }

  std::string message(int value) const override {
    switch (static_cast<RiskErrc>(value)) {
      case RiskErrc::ok:
        return "ok";
      case RiskErrc::unreadable:
        return "unreadable";
      case RiskErrc::not_yaml:
        return "not_yaml";
      case RiskErrc::bad_rules:
        return "bad_rules";
      case RiskErrc::internal:
        return "internal";
    }
    return "unknown risk error";
  }
};

}  // namespace

const std::error_category& risk_category() noexcept {
  static const RiskCategory category;
  return category;
}

}  // namespace gale::risk
