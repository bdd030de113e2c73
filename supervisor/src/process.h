#pragma once
// Starting and watching child processes. ProcessLauncher is the seam unit tests replace with a
// double; PosixSpawnLauncher is the real one (common's spawn of an argv, never a shell).
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gale/common/process.h"
#include "gale/supervisor/errc.h"

namespace gale::supervisor {

struct LaunchSpec {
  std::vector<std::string> argv;   // argv[0] is the executable's path, run as is
  std::filesystem::path log_path;  // stdout and stderr are appended here; stdin is /dev/null
  // "NAME=value" each, the child's whole environment; nothing: this process's.
  std::optional<std::vector<std::string>> env{};
  // Another user to run as; the folders in owned_dirs are made (if missing) and given to it
  // first.
  std::optional<SpawnOptions::User> user{};
  std::vector<std::filesystem::path> owned_dirs{};
  bool operator==(const LaunchSpec&) const = default;
};

// One started child. Not thread-safe: its owner (one thread) calls every method.
// Destroying a child that has not been reaped kills it (SIGKILL) and reaps it, so a child never
// outlives, as a zombie or an orphan, the object that owns it.
class ChildProcess {
 public:
  virtual ~ChildProcess() = default;
  virtual pid_t pid() const = 0;
  // A descriptor that poll() reports readable (POLLIN) once the child has exited.
  virtual int exit_fd() const = 0;
  // Sends `signal` unless the child was already reaped.
  virtual void send_signal(int signal) = 0;
  // The wait status (as waitpid's) if the child has exited, reaping it; nothing if it runs.
  virtual std::optional<int> try_reap() = 0;
};

// Thread-safe if the implementation says so; PosixSpawnLauncher is.
class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  // launch_failed (or io_error for the log file) with a message if the child did not start.
  virtual Result<std::unique_ptr<ChildProcess>> launch(const LaunchSpec& spec) = 0;
};

// gale/common/process.h's spawn with the argv as given; the child gets: the log file as stdout
// and stderr (created with its folder if missing, opened for appending), /dev/null as stdin, no
// other inherited descriptor, a default signal mask and dispositions, and its own process group
// (a terminal's Ctrl-C reaches the supervisor, which stops its workers itself). Children are
// tracked by pidfd, so a reused pid is never signalled.
class PosixSpawnLauncher final : public ProcessLauncher {
 public:
  Result<std::unique_ptr<ChildProcess>> launch(const LaunchSpec& spec) override;
};

// "exit code 3", "killed by signal 9 (Killed)": a wait status for logs (common's).
using gale::describe_wait_status;

}  // namespace gale::supervisor
