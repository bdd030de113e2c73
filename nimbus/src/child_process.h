#pragma once
// run_child: gale/common/process.h's run_captured with Nimbus's Result: runs a program from an
// argv (never a shell), captures its stdout and stderr, and kills it (SIGKILL) if it outlives a
// timeout. Blocking: returns when the child has exited or was killed. Thread-safe.
#include <chrono>
#include <string>
#include <vector>

#include "gale/common/process.h"
#include "gale/nimbus/errors.h"

namespace gale::nimbus {

using ChildOutput = CapturedRun;

// argv[0] is the program's path; `env` as run_captured's. internal if it cannot be started.
Result<ChildOutput> run_child(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout,
                              std::optional<std::vector<std::string>> env = std::nullopt);

}  // namespace gale::nimbus
