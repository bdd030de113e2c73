#pragma once
// `gale-worker run`: one worker of the cluster (see docs/CLUSTER.md).
#include <atomic>
#include <string>

#include "gale/config.h"

namespace gale::worker {

struct WorkerOptions {
  std::string topology_id;
  std::string supervisor_id;
  std::string host;
  int port = 0;
  std::string artifact;  // the topology's .so, as the supervisor downloaded it
  Config conf;           // daemon settings (ZooKeeper, heartbeat frequency)
};

// Runs until `stop` is set (0), the assignment no longer holds this slot (0), or a fatal
// error (1, logged). Blocks the calling thread, which does the ZooKeeper polling and heartbeats.
int run_worker(const WorkerOptions& options, const std::atomic<bool>& stop);

}  // namespace gale::worker
