#pragma once
// A child process for whole-system tests (gale/common/process.h's Process): started from an argv
// (never a shell), its stdout and stderr appended to a log file, killed if the test process
// dies (PR_SET_PDEATHSIG), stopped (SIGTERM, then SIGKILL) when destroyed.
#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "gale/common/process.h"

namespace gale::testing {

class ChildProcess {
 public:
  // `user`: run as that user (needs root); nothing: as this process.
  ChildProcess(std::vector<std::string> argv, std::string log_path,
               std::optional<SpawnOptions::User> user = std::nullopt);
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return process_.pid(); }
  bool running();
  // Sends `sig`; for SIGTERM waits up to 10 s, then SIGKILLs. Reaps the child.
  void stop(int sig = SIGTERM);
  const std::string& log_path() const { return log_; }

 private:
  Process process_;
  std::string log_;
};

// Runs argv to completion; returns the exit code and what it printed (stdout and stderr).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult run_command(const std::vector<std::string>& argv,
                          std::optional<SpawnOptions::User> user = std::nullopt);

// A free TCP port on 127.0.0.1 (bound, read back, released).
int free_port();
// `n` distinct free ports: all bound at once, then released (calling free_port() n times can
// return the same port twice).
std::vector<int> free_ports(int n);

}  // namespace gale::testing
