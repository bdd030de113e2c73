#include "gale/coordination/errc.h"

namespace gale::coordination {
namespace {

class StoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.coordination.store"; }

  std::string message(int value) const override {
    switch (static_cast<StoreErrc>(value)) {
      case StoreErrc::ok:
        return "ok";
      case StoreErrc::no_node:
        return "no node";
      case StoreErrc::node_exists:
        return "node exists";
      case StoreErrc::bad_version:
        return "bad version";
      case StoreErrc::not_empty:
        return "node has children";
      case StoreErrc::connection_loss:
        return "connection loss";
      case StoreErrc::session_expired:
        return "session expired";
      case StoreErrc::closed:
        return "store closed";
      case StoreErrc::invalid_path:
        return "invalid path";
      case StoreErrc::not_authorized:
        return "not authorized";
      case StoreErrc::other:
        return "other error";
    }
    return "unknown store error";
  }
};

}  // namespace

const std::error_category& store_category() noexcept {
  static const StoreCategory category;
  return category;
}

}  // namespace gale::coordination
