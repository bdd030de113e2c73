#pragma once
// Runs a program as a child process with an argv (posix_spawn, never a shell), captures its
// stdout and stderr, and kills it (SIGKILL) if it outlives a timeout.
// Blocking: returns when the child has exited or was killed. Thread-safe (no shared state).
#include <chrono>
#include <string>
#include <vector>

#include "gale/nimbus/errors.h"

namespace gale::nimbus {

struct ChildOutput {
  int exit_code = -1;  // the exit status, or -1 if it ended by a signal
  int signal = 0;      // the signal that ended it, 0 if it exited
  bool timed_out = false;
  std::string out;
  std::string err;
};

// argv[0] is the program's path. internal if it cannot be started.
Result<ChildOutput> run_child(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout);

}  // namespace gale::nimbus
