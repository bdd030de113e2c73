#pragma once
// A whole topology in one process: what `gale local` and the tests run.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gale/common/clock.h"
#include "gale/config.h"
#include "gale/runtime/stats.h"
#include "gale/topology.h"

namespace gale::runtime {

class Layout;
class Runtime;

class LocalCluster {
 public:
  // Validates the topology against the config; throws InvalidTopology naming every problem.
  // The topology's factories must outlive the cluster (keep the loaded library open).
  LocalCluster(std::string name, Topology topology, Config config,
               std::shared_ptr<Clock> clock = SystemClock::shared());
  ~LocalCluster();

  // Opens every spout and prepares every bolt (each on its executor's thread), then activates
  // the spouts. Throws if an open()/prepare() throws.
  void start();
  void activate();
  void deactivate();
  // Deactivates the spouts and waits until no tuple is queued or pending anywhere. Returns
  // false if that did not happen within `timeout`.
  bool drain(std::chrono::milliseconds timeout);
  // Waits until no tuple is queued or buffered anywhere, though trees may still be pending
  // (held by a bolt that has not acked them). False if that did not happen within `timeout`.
  bool wait_idle(std::chrono::milliseconds timeout);
  // Stops every executor; close()/cleanup() run on their threads. Idempotent.
  void stop();

  TopologyStats stats() const;
  // Runtime::apply_settings on the running topology (settings changed while it runs).
  void apply_settings(const std::map<std::string, std::string>& changed);
  // Times the topology went back to its last checkpoint (a tuple failed in a topology with
  // state): the runtime was stopped and started again, every task restoring the checkpoint.
  int recoveries() const;

 private:
  // With checkpoints: restarts the runtime when it asks for a recovery.
  void watch_recoveries(std::stop_token stop);

  Topology topology_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<Layout> layout_;
  mutable std::mutex mutex_;  // guards runtime_ (replaced by a recovery), active_, recoveries_
  std::unique_ptr<Runtime> runtime_;
  std::map<std::string, std::string> settings_;  // the last apply_settings, for a new runtime
  bool active_ = false;
  int recoveries_ = 0;
  std::jthread watcher_;
};

}  // namespace gale::runtime
