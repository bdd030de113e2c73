#pragma once
// Nimbus, the cluster's master (docs/CLUSTER.md): serves the HTTP API, schedules topologies
// onto supervisor slots, and monitors heartbeats. Every piece of state lives in the
// StateStore (ZooKeeper) and the artifacts directory, so a restarted Nimbus picks up where the
// last one stopped without touching running workers.
//
// Threads: one io thread runs the HTTP server and the delayed ends of kills and rebalances;
// one monitor thread, every nimbus.monitor.freq.secs, retries leadership while another Nimbus
// leads and otherwise reassigns lost slots. Both stop in the destructor.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "gale/config.h"
#include "gale/coordination/state_store.h"
#include "gale/nimbus/errors.h"
#include "gale/nimbus/inspector.h"

namespace gale::nimbus {

struct NimbusOptions {
  // nimbus.host, nimbus.port (0: any free port), storm.local.dir, nimbus.task.timeout.secs,
  // nimbus.monitor.freq.secs.
  Config config;
  // Runs `gale-worker inspect`; empty: process_inspector(worker_binary, inspect_timeout).
  Inspector inspector;
  std::filesystem::path worker_binary;
  std::chrono::milliseconds inspect_timeout{30000};
  std::string nimbus_id;  // a valid name (coordination::validate_name); empty: "<host>-<port>"
};

class Nimbus {
 public:
  // Borrows `store` (it must outlive the Nimbus), initializes the cluster folders, tries to
  // become the leader, binds the API and starts the threads. internal naming what failed.
  static Result<std::unique_ptr<Nimbus>> start(coordination::StateStore& store,
                                               NimbusOptions options);
  ~Nimbus();
  Nimbus(const Nimbus&) = delete;
  Nimbus& operator=(const Nimbus&) = delete;

  int port() const;
  bool is_leader() const;

  class Impl;  // private; named here only so the implementation file can define it

 private:
  explicit Nimbus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The gale-nimbus daemon: connects to ZooKeeper (storm.zookeeper.*), starts a Nimbus and runs
// it until SIGINT or SIGTERM. Returns the process's exit code; errors go to the log.
int run_nimbus(NimbusOptions options);

// The gale-worker next to this process's own executable (/proc/self/exe).
std::filesystem::path default_worker_binary();

// `gale-nimbus token create`: issues a token for `principal` with `role` straight into the
// ZooKeeper that `conf` names (how the first admin gets a token, before any exists) and returns
// it. Errors name what failed (the role, the principal, ZooKeeper).
Result<std::string> create_token_in_zookeeper(const Config& conf, const std::string& principal,
                                              const std::string& role);

}  // namespace gale::nimbus
