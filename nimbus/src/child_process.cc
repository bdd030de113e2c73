#include "child_process.h"

namespace gale::nimbus {

Result<ChildOutput> run_child(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout,
                              std::optional<std::vector<std::string>> env) {
  try {
    return run_captured(argv, timeout, std::move(env));
  } catch (const SpawnError& e) {
    return make_error(NimbusErrc::internal, e.what());
  }
}

}  // namespace gale::nimbus
