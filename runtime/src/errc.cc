#include "gale/runtime/errc.h"

#include <string>

namespace gale::runtime {
namespace {

class RuntimeCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.runtime"; }

  std::string message(int value) const override {
    switch (static_cast<RuntimeErrc>(value)) {
      case RuntimeErrc::ok:
        return "ok";
      case RuntimeErrc::cannot_open:
        return "cannot open topology";
      case RuntimeErrc::not_a_library:
        return "not a shared library";
      case RuntimeErrc::no_entry_point:
        return "no entry point";
      case RuntimeErrc::api_version:
        return "other topology API version";
      case RuntimeErrc::invalid_topology:
        return "invalid topology";
      case RuntimeErrc::refused_batch:
        return "refused batch";
    }
    return "unknown runtime error";
  }
};

}  // namespace

const std::error_category& runtime_category() noexcept {
  static const RuntimeCategory category;
  return category;
}

}  // namespace gale::runtime
