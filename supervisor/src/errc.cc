#include "gale/supervisor/errc.h"

#include <string>

namespace gale::supervisor {
namespace {

class SupervisorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.supervisor"; }
  std::string message(int value) const override {
    switch (static_cast<SupervisorErrc>(value)) {
      case SupervisorErrc::ok:
        return "ok";
      case SupervisorErrc::bad_setting:
        return "bad setting";
      case SupervisorErrc::download_failed:
        return "artifact download failed";
      case SupervisorErrc::checksum_mismatch:
        return "artifact checksum mismatch";
      case SupervisorErrc::io_error:
        return "local file error";
      case SupervisorErrc::launch_failed:
        return "worker launch failed";
      case SupervisorErrc::zookeeper:
        return "cluster state error";
      case SupervisorErrc::no_such_log:
        return "no such log";
    }
    return "unknown supervisor error";
  }
};

}  // namespace

const std::error_category& supervisor_category() noexcept {
  static const SupervisorCategory category;
  return category;
}

}  // namespace gale::supervisor
