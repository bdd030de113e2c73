#include "process.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace gale::supervisor {
namespace {

// A child of gale/common/process.h behind the launcher's seam.
class SpawnedChild final : public ChildProcess {
 public:
  explicit SpawnedChild(Process process) : process_(std::move(process)) {}

  pid_t pid() const override { return process_.pid(); }
  int exit_fd() const override { return process_.exit_fd(); }
  void send_signal(int signal) override { process_.send_signal(signal); }
  std::optional<int> try_reap() override { return process_.try_reap(); }

 private:
  Process process_;  // kills and reaps the child on destruction if it was not reaped
};

}  // namespace

Result<std::unique_ptr<ChildProcess>> PosixSpawnLauncher::launch(const LaunchSpec& spec) {
  if (spec.argv.empty()) return make_error(SupervisorErrc::launch_failed, "empty argv");
  SpawnOptions options;
  options.argv = spec.argv;
  options.output = SpawnOptions::Output::append;
  options.log_path = spec.log_path;
  options.env = spec.env;
  options.user = spec.user;
  for (const auto& dir : spec.owned_dirs) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || (spec.user && ::chown(dir.c_str(), spec.user->uid, spec.user->gid) != 0))
      return make_error(SupervisorErrc::io_error,
                        "cannot make " + dir.string() + " the worker's: " +
                            (ec ? ec.message() : std::string(std::strerror(errno))));
  }
  options.own_process_group = true;
  try {
    return std::unique_ptr<ChildProcess>(std::make_unique<SpawnedChild>(spawn(options)));
  } catch (const SpawnError& e) {
    return make_error(e.kind() == SpawnError::Kind::log_file ? SupervisorErrc::io_error
                                                             : SupervisorErrc::launch_failed,
                      e.what());
  }
}

}  // namespace gale::supervisor
