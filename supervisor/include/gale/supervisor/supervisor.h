#pragma once
// Supervisor: one per machine (Storm's supervisor daemon). It registers its slots in ZooKeeper
// as an ephemeral node, follows the assignments, fetches and verifies the artifacts of the
// topologies assigned to its slots, and runs one gale-worker process per assigned slot
// (README.md has the rules).
//
// Threads: start() returns a running supervisor with two threads of its own — the sync thread
// (ZooKeeper reads, registration, artifact downloads: the calls that may block on the network)
// and the worker pool's thread (process launch, exit detection, restarts and kills: it never
// waits on the network). ZooKeeper watch callbacks only wake the sync thread.
#include <sys/types.h>

#include <map>
#include <memory>

#include "gale/supervisor/errc.h"
#include "gale/supervisor/settings.h"

namespace gale::supervisor {

class ProcessLauncher;

class Supervisor {
 public:
  // Connects to ZooKeeper, registers this supervisor and starts following the assignments.
  // `launcher` (borrowed, must outlive the supervisor; null: the real launcher, common's spawn)
  // starts the workers. zookeeper with the store's message if ZooKeeper cannot be reached or
  // the registration fails.
  static Result<std::unique_ptr<Supervisor>> start(const SupervisorSettings& settings,
                                                   ProcessLauncher* launcher = nullptr);
  // stop().
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Stops following assignments, terminates every worker (SIGTERM, then SIGKILL after the
  // grace) and closes the ZooKeeper session, which removes the supervisor's node. Idempotent;
  // blocks up to about the kill grace. Not async-signal-safe: call it from a normal thread.
  void stop();

  // The pid of each slot's worker process, by port (diagnostics and tests).
  std::map<int, pid_t> workers() const;

  class Impl;  // private; named here only so the implementation file can define it

 private:
  explicit Supervisor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gale::supervisor
