#pragma once
// The executors of one worker process and what they share: the layout, the clock, the
// activation flag, and each executor's input queue. Local mode runs every executor of the
// topology in one Runtime.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gale/common/clock.h"
#include "gale/runtime/layout.h"
#include "gale/runtime/stats.h"
#include "gale/settings.h"

namespace gale::transport {
class Transport;
}
namespace gale::state {
class StateBackend;
struct RestoredTask;
}  // namespace gale::state

namespace gale::runtime {

class Executor;
class TransportBridge;
class StateWriter;
class MetricRegistry;
struct Stage;
struct Batch;

// Which executors run in this process, and how to reach the others. Local mode: all of them,
// no transport.
struct Placement {
  std::vector<int> local_executors;  // empty: every executor
  // Required when some executors run elsewhere: bound, and connected to every peer named in
  // `peers`. Used by this runtime between start() and stop(); it must outlive them.
  transport::Transport* transport = nullptr;
  std::vector<std::string> peers;  // by executor: the peer id of the worker running it, "" here
  std::uint64_t epoch = 0;         // the assignment's (coordination::Assignment::epoch)
};

struct RuntimeSettings {
  std::size_t batch_size;
  std::size_t inbox_batches;  // capacity of each executor's input queue, in batches
  std::int64_t flush_interval_ns;
  std::int64_t timeout_ns;         // 0: message timeouts off
  int sample_every;                // 0: no latency sampling
  std::int64_t spout_park_us;      // an idle spout's first sleep
  std::int64_t spout_park_max_us;  // ... doubling up to this
  std::int64_t bolt_park_us;       // between tries at a full downstream queue
  int wait_spins;                  // an executor with no work spins this many rounds,
  int wait_yields;                 // then yields this many, then sleeps

  static RuntimeSettings from(const Config& conf);
};

class Runtime {
 public:
  Runtime(const Layout& layout, std::shared_ptr<Clock> clock, Placement placement = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Creates every executor, runs open()/prepare() on their threads, then starts them; then
  // starts receiving from other workers (with a transport).
  void start();
  // Spouts call next_tuple only while active; they are woken to see a change at once.
  void set_active(bool active);
  bool active() const { return active_.load(std::memory_order_acquire); }
  // True when no tuple is queued, buffered or (with acking) pending anywhere.
  bool quiescent() const;
  // True when no tuple is queued or buffered anywhere (trees may still be pending).
  bool idle() const;
  // Stops receiving, then stops every executor (close()/cleanup() run on their threads) and
  // joins them.
  void stop();

  const Layout& layout() const { return layout_; }
  const Clock& clock() const { return *clock_; }
  const RuntimeSettings& settings() const { return settings_; }
  const std::vector<int>& worker_tasks() const { return worker_tasks_; }
  bool is_local(int executor) const { return local_[static_cast<std::size_t>(executor)]; }
  // The local executor whose thread runs executor `index`: itself, or the one it is chained
  // into (Layout's chain_parent, when that one runs here too, transitively); -1 elsewhere.
  int host_of(int index) const { return host_[static_cast<std::size_t>(index)]; }
  // The destination whose output batch carries tuples for `task`: its executor when local;
  // else the first executor of the worker running it, so that one batch (one message) carries
  // everything for that worker.
  int outbound_of_task(int task) const { return outbound_[static_cast<std::size_t>(task)]; }
  // For executors and the transport bridge: hands `batch` to executor `dest`, local or remote,
  // without waiting. On success the batch is consumed (`batch` is null); false when the
  // destination is full. Only between start() and the destructor: before start() there are no
  // executors to deliver to.
  bool try_deliver(int dest, std::unique_ptr<Batch>& batch);
  TopologyStats stats() const;

  // --- checkpoints (Layout::checkpointing), from start() on ---
  state::StateBackend& state_backend() const { return *state_backend_; }
  StateWriter& state_writer() const { return *state_writer_; }
  // The last checkpoint complete when the runtime started, or with none yet the checkpoint of
  // the savepoint it starts from (topology.state.savepoint); 0: none. What tasks restore.
  CheckpointId restored_checkpoint() const { return restored_; }
  // The assignment epoch it runs (Placement::epoch; 0 in local mode).
  std::uint64_t epoch() const { return epoch_; }
  // Task `task`'s state as of restored_checkpoint(); throws std::runtime_error naming the
  // problem (an unreadable backend, a broken chain).
  state::RestoredTask restore(int task) const;
  // Any thread: the topology must go back to its last complete checkpoint (a tracked tuple
  // failed in a topology with state). Whoever runs the runtime restarts it: LocalCluster
  // itself, a worker by asking Nimbus for a new epoch. Logged once.
  void request_recovery(const std::string& reason);
  bool recovery_requested() const { return recovery_.load(std::memory_order_acquire); }

  // A local task's metrics (TopologyContext::metrics()), from construction on.
  MetricGroup& metrics_of(int task) const;

  // The settings changed while running (`gale set`; docs/CONSOLE.md, "Runtime settings"), as
  // key -> value, replacing those of an earlier call (a key left out is back to its config
  // value): topology.debug and topology.debug.sample.rate take effect at the next emit, the
  // declared changeable keys reach TopologyContext::settings(). Any thread. Keys of neither
  // kind are ignored (the caller, the worker, applies topology.log.level itself).
  void apply_settings(const std::map<std::string, std::string>& changed);
  const LiveSettings& live_settings() const { return live_settings_; }
  // Whether this emit of `stage` is logged (topology.debug, as configured or as set since):
  // asked only where the stage's own topology.debug or debug_forced() holds (an emit costs no
  // more than a load when nothing is logged).
  bool debug_emit(Stage& stage) const;
  bool debug_forced() const { return debug_override_.load(std::memory_order_relaxed) > 0; }

 private:
  const Layout& layout_;
  std::shared_ptr<Clock> clock_;
  RuntimeSettings settings_;
  std::vector<int> worker_tasks_;
  std::vector<bool> local_;
  std::vector<int> host_;      // by executor, see host_of()
  std::vector<int> outbound_;  // by task, see outbound_of_task()
  // Declared before executors_: its inbound batch pool outlives them.
  std::unique_ptr<TransportBridge> bridge_;
  std::shared_ptr<state::StateBackend> state_backend_;
  std::unique_ptr<StateWriter> state_writer_;
  CheckpointId restored_ = 0;
  void start_from_savepoint();

  std::uint64_t epoch_ = 0;
  std::string restore_from_;       // the backend namespace restored_ is in: ours, or a savepoint's
  std::set<int> savepoint_tasks_;  // the tasks a savepoint restored from holds
  bool cluster_ = false;           // a worker of a cluster (it has a transport), not local mode
  std::atomic<bool> recovery_{false};
  // By component; declared before executors_, whose tasks hold their metrics until cleanup.
  std::vector<std::unique_ptr<MetricRegistry>> metric_registries_;
  LiveSettings live_settings_;
  // topology.debug set while running: -1 none (each component's own), 0 off, 1 on; and one
  // emit in debug_every_ logged (topology.debug.sample.rate; 0: none).
  std::atomic<int> debug_override_{-1};
  std::atomic<std::int64_t> debug_every_{1};
  void apply_debug(const Config& conf, int override_debug);
  std::vector<std::unique_ptr<Executor>> executors_;  // null for executors elsewhere
  std::atomic<bool> active_{false};
  std::int64_t started_ns_ = 0;
  std::int64_t started_unix_ms_ = 0;
};

}  // namespace gale::runtime
