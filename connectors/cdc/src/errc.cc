#include "gale/cdc/errc.h"

#include <string>

namespace gale::cdc {
namespace {

class CdcCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.cdc"; }

  std::string message(int value) const override {
    switch (static_cast<CdcErrc>(value)) {
      case CdcErrc::ok:
        return "ok";
      case CdcErrc::not_json:
        return "not_json";
      case CdcErrc::malformed:
        return "malformed";
      case CdcErrc::unsupported:
        return "unsupported";
      case CdcErrc::no_key:
        return "no_key";
    }
    return "unknown cdc error";
  }
};

}  // namespace

const std::error_category& cdc_category() noexcept {
  static const CdcCategory category;
  return category;
}

}  // namespace gale::cdc
