#include "errc.h"

#include <string>

namespace gale::worker {
namespace {

class WorkerCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.worker"; }

  std::string message(int value) const override {
    switch (static_cast<WorkerErrc>(value)) {
      case WorkerErrc::ok:
        return "ok";
      case WorkerErrc::zookeeper:
        return "cluster state error";
      case WorkerErrc::io_error:
        return "i/o error";
    }
    return "unknown worker error";
  }
};

}  // namespace

const std::error_category& worker_category() noexcept {
  static const WorkerCategory category;
  return category;
}

}  // namespace gale::worker
