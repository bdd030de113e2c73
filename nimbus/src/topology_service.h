#pragma once
// TopologyService: what Nimbus does to topologies — submit, list, status, activate/deactivate,
// kill, rebalance, the cluster view, and the monitor's reassignment of lost slots. All state
// is in ClusterState (ZooKeeper) and the ArtifactStore; nothing here survives a restart
// except through them (a kill in progress is the record's `killed` status: resume_kills()).
//
// Threads: every method may be called from any thread and may block on the store or, for
// submit and a rebalance's second step, on the inspector. Read-modify-writes of assignments
// (scheduling, rebalance, kill, monitor) are serialized by one mutex, so that two of them never
// hand out the same slot. Delayed steps (the end of a kill or a rebalance) are handed to
// `defer`, which must run them later on some thread and may drop them at shutdown.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "artifact_store.h"
#include "gale/coordination/cluster_state.h"
#include "gale/nimbus/access.h"
#include "gale/nimbus/inspector.h"
#include "liveness.h"

namespace gale::nimbus {

// Whether a config key's name marks its value as a secret (password, token, ...): shown as
// "******" by the status, and left out of the audit log.
bool names_a_secret(std::string_view key);

using Defer = std::function<void(std::chrono::seconds delay, std::function<void()> step)>;
// Unix time in seconds; replaceable for tests.
using Now = std::function<std::int64_t()>;

struct ServiceContext {
  coordination::ClusterState& state;
  ArtifactStore& artifacts;
  Inspector inspector;
  Defer defer;
  Now now;
  std::int64_t task_timeout_secs = 30;  // nimbus.task.timeout.secs
  // How many times the store has lost its connection so far (StateStore::interruptions).
  std::function<std::uint64_t()> interruptions = [] { return std::uint64_t{0}; };
  // security.enabled: each topology gets a CURVE key pair for its workers' connections.
  bool secure_transport = false;
  // Called when a scheduled start activated a topology (for the audit log): the record and
  // the time it was due.
  std::function<void(const coordination::TopologyRecord&, std::int64_t)> on_scheduled_start;
  // security.tls.ca.file: what the supervisors' log servers' certificates must chain to.
  std::string tls_ca_file = {};
};

// What Nimbus sees of one topology at a moment: its record, assignment and the heartbeats of
// the assignment's current slots (a beat left by a slot given up is history). What /metrics
// and the metric history read.
struct ObservedTopology {
  coordination::TopologyRecord record;
  std::optional<coordination::Assignment> assignment;
  std::vector<coordination::WorkerHeartbeat> beats;
};

// What to read of a worker's log (GET /topologies/<name>/workers/<supervisor>/<port>/log),
// checked by the API: a page of `length` bytes from `start` (none: the tail), or the last
// `limit` lines holding `search`.
struct WorkerLogRequest {
  std::optional<std::uint64_t> start;
  std::uint64_t length = 65536;
  std::optional<std::string> search;
  std::uint64_t limit = 100;
};

// Ranges checked by the API (gale/nimbus/limits.h).
struct RebalanceRequest {
  std::optional<std::int64_t> wait_secs;
  std::optional<int> workers;
  std::map<std::string, int> executors;  // component -> executors
};

class TopologyService {
 public:
  explicit TopologyService(ServiceContext context) : ctx_(std::move(context)) {}

  // Body {"name", "config": {k: v}, "artifact": base64, "blobs": {key: base64}} (blobs
  // optional). 201 body {"id", "name", "owner"}. `who`: the submitting principal, recorded as
  // the owner. With topology.state.savepoint, the savepoint must exist, fit the topology's
  // tasks, and have been taken by `who` or from a topology `who` owned (or `who` is an admin).
  Result<nlohmann::json> submit(const nlohmann::json& body, const Principal& who);
  // Takes savepoint `savepoint` of topology `name`'s last complete checkpoint, in the
  // topology's state backend (docs/STATE.md, "Savepoints"). 201 body {"savepoint", "topology",
  // "checkpoint", "tasks", "bytes"}; conflict when the name is taken, not_found when the
  // topology has no complete checkpoint.
  Result<nlohmann::json> savepoint(const std::string& name, const std::string& savepoint,
                                   const std::string& taken_by);
  // The topology's last `limit` completed checkpoints, newest first, from its state backend:
  // [{"id", "triggered_ms", "duration_ms", "bytes", "parts": [{"task", "bytes"}]}];
  // [] for a topology without state.
  Result<nlohmann::json> checkpoints(const std::string& name, std::size_t limit);
  // The record of the topology named `name`; not_found naming it.
  Result<coordination::TopologyRecord> find(const std::string& name);
  Result<nlohmann::json> list();
  // Every topology as seen now.
  Result<std::vector<ObservedTopology>> observe();
  Result<nlohmann::json> status(const std::string& name);
  // Activating or deactivating by hand cancels a scheduled start.
  Result<nlohmann::json> set_active(const std::string& name, bool active);
  // Body {"start_at": "<RFC 3339 with an offset>"} schedules an inactive topology's start (a
  // time in the past, or an active topology, is refused), {"start_at": null} cancels it.
  Result<nlohmann::json> schedule(const std::string& name, const nlohmann::json& body);
  // The settings that change while it runs (docs/CONSOLE.md, "Runtime settings"): the built-in
  // ones and those the topology declared, each with its value now and in its config:
  // {"version", "settings": [{"key", "value", "config", "changed"}]}.
  Result<nlohmann::json> settings(const std::string& name);
  // Body {"set": {key: value, ...}, "reset": [key, ...]}: changes them (the workers apply the
  // change within a second); bad_request naming a key that cannot change or a bad value.
  // Answers as settings().
  Result<nlohmann::json> change_settings(const std::string& name, const nlohmann::json& body);
  // The leader, every second: activates the inactive topologies whose start is due. The time
  // is in the record (ZooKeeper), so a restarted or new leader keeps it.
  void start_scheduled();
  // Marks the topology killed now and removes it after the wait (default: its
  // topology.message.timeout.secs).
  Result<nlohmann::json> kill(const std::string& name, std::optional<std::int64_t> wait_secs);
  // Deactivates now; after the wait re-inspects, re-plans and restores the previous status.
  Result<nlohmann::json> rebalance(const std::string& name, const RebalanceRequest& request);
  Result<nlohmann::json> cluster(const std::optional<std::string>& leader);
  // The log of topology `name`'s worker on `supervisor_id`'s slot `port`, from that
  // supervisor's log server: {"topology", "supervisor", "host", "port", "size"} and either
  // {"start", "end", "text"} or {"scanned_from", "matches": [{"offset", "line"}], "more"}.
  // not_found unless the assignment has that slot; unavailable if the supervisor runs no log
  // server or does not answer.
  Result<nlohmann::json> worker_log(const std::string& name, const std::string& supervisor_id,
                                    int port, const WorkerLogRequest& request);
  // Replaces (or adds) one of a running topology's blobs; its workers pick it up on their next
  // poll. Body {"topology", "key", "version", "bytes"}.
  Result<nlohmann::json> put_blob(const std::string& name, const std::string& key,
                                  const std::string& bytes);
  // [{"key", "version", "bytes"}] of a topology's blobs.
  Result<nlohmann::json> blobs(const std::string& name);

  // One monitor pass: moves the executors of every slot whose supervisor has been gone, or
  // whose worker has not beaten, for task_timeout_secs as Nimbus has seen it (Liveness; not
  // before the assignment is task_timeout_secs old) to free slots, keeping every other executor
  // where it is. A pass that cannot read the cluster state, or during whose reads the store's
  // connection was interrupted, judges nothing and restarts every watch (lose_sight).
  void monitor();
  // Nimbus may have missed signs of life (it has just become the leader): every worker and
  // supervisor gets a full timeout from the next pass.
  void lose_sight();
  // Schedules the end of every kill that a previous Nimbus started and did not finish.
  void resume_kills();

 private:
  // find(), refusing a topology that is being killed: what status changes and rebalance act on.
  Result<coordination::TopologyRecord> find_changeable(const std::string& name);
  Result<ObservedTopology> observe(const coordination::TopologyRecord& record);
  void finish_kill(const std::string& id);
  // Adds a savepoint taken of topology `id` to its record's list (the last
  // TopologyRecord::kListedSavepoints); a failure is logged, the savepoint stays.
  void list_savepoint(const std::string& id, coordination::SavepointTaken taken);
  // Deletes a killed topology's checkpoints from its state backend (best effort, logged).
  void drop_state(const std::string& id);
  void finish_rebalance(const std::string& id, const RebalanceRequest& request,
                        coordination::TopologyStatus restore);
  Result<std::vector<coordination::Assignment>> all_assignments();
  Status check_slots(const coordination::Assignment* current, int workers);
  // Gives the topology a new epoch when a worker asks for it (recover_epoch): true if asked.
  bool recover_if_asked(coordination::Assignment assignment,
                        const std::vector<coordination::WorkerHeartbeat>& beats, std::int64_t now);
  void reassign_lost_slots(coordination::Assignment assignment,
                           const std::vector<coordination::WorkerHeartbeat>& beats,
                           const std::vector<coordination::SupervisorInfo>& supervisors,
                           const std::vector<coordination::Assignment>& all, std::int64_t now);
  std::int64_t wait_for(const coordination::TopologyRecord& record,
                        std::optional<std::int64_t> wait_secs) const;

  ServiceContext ctx_;
  std::mutex mutex_;                   // serializes read-modify-writes of records and assignments
  std::set<std::string> rebalancing_;  // topology ids between rebalance() and its end
  std::mutex savepoint_mutex_;         // one savepoint taken at a time
  std::atomic<int> log_reads_{0};      // worker_log calls under way (at most 2 are admitted)
  Liveness liveness_{ctx_.task_timeout_secs};  // the monitor's, under mutex_
  std::uint64_t interruptions_seen_ = 0;       // ctx_.interruptions() at the last pass
};

}  // namespace gale::nimbus
