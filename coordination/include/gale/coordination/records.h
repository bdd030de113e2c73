#pragma once
// The records ClusterState stores, with their JSON encoding. Decoding rejects malformed data
// (not JSON, missing or mistyped fields, unknown status, invalid names) with StoreErrc::other
// and a message naming the record and the problem.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gale/coordination/errc.h"

namespace gale::coordination {

// A name that becomes one path component (topology id, component, supervisor id, host):
// 1-128 characters of [A-Za-z0-9._-], and not "." or "..". invalid_path otherwise.
Status validate_name(std::string_view kind, std::string_view name);

enum class TopologyStatus { active, inactive, killed };

// A savepoint taken of a topology (`gale savepoint`), as its record lists them.
struct SavepointTaken {
  std::string name;
  std::uint64_t checkpoint = 0;  // the checkpoint it copied
  std::int64_t created_ms = 0;   // Unix time
  std::string taken_by;          // the principal
  std::uint64_t bytes = 0;
  bool operator==(const SavepointTaken&) const = default;
};

struct TopologyRecord {
  std::string id;
  std::string name;
  TopologyStatus status = TopologyStatus::inactive;
  std::map<std::string, std::string> config;  // Storm-style keys, e.g. "topology.workers"
  std::string artifact_sha256;                // of the packaged .so, lower-case hex
  int num_workers = 0;
  std::string owner;  // the principal that submitted it ("" when security is off)
  // Scheduled start (`gale submit --start-at`): Unix seconds at which Nimbus activates the
  // topology, which stays inactive until then; 0: none.
  std::int64_t start_at_secs = 0;
  // Its components and the streams between them, as inspected at submit (TopologyLayout::
  // graph(), for the console); null in records written before it was kept.
  nlohmann::json graph = nullptr;
  // The topology's own keys that may change while it runs (TopologyBuilder::
  // declare_changeable), as inspected at submit.
  std::vector<std::string> changeable = {};
  // Settings changed while it runs (`gale set`): key -> value, over the config's; and how many
  // times they were changed (the workers report the version they applied).
  std::map<std::string, std::string> settings = {};
  std::uint64_t settings_version = 0;
  // The savepoints taken of it, oldest first: the last kListedSavepoints.
  std::vector<SavepointTaken> savepoints = {};
  static constexpr std::size_t kListedSavepoints = 100;
  bool operator==(const TopologyRecord&) const = default;
};

struct Slot {
  std::string supervisor_id;
  std::string host;
  int port = 0;
  bool operator==(const Slot&) const = default;
};

struct Executor {  // the tasks [first_task, last_task] that one executor thread runs
  int first_task = 0;
  int last_task = 0;
  // Operator chaining: the first task of the executor this one runs chained into when both
  // are in one worker (the scheduler keeps them together); 0 for none.
  int chained_to = 0;
  bool operator==(const Executor&) const = default;
};

struct Assignment {
  std::string topology_id;
  std::map<int, Slot> task_slots;  // task id -> the slot running it
  std::vector<Executor> executors;
  std::int64_t start_time_secs = 0;  // Unix time
  // The assignment's version: 1 for a topology's first, one more for each that replaces it
  // (rebalance, lost slots). Batches carry it; a worker refuses those routed under another.
  std::uint64_t epoch = 1;
  bool operator==(const Assignment&) const = default;
};

struct SupervisorInfo {
  std::string id;
  std::string host;
  std::vector<int> ports;  // its slots
  std::int64_t uptime_secs = 0;
  // Its log server (supervisor.logviewer.port; 0: none), and the secret it asks of callers:
  // made at each start, readable only by the cluster's daemons (never shown by the API).
  int log_port{};
  std::string log_secret{};
  bool operator==(const SupervisorInfo&) const = default;
};

struct WorkerHeartbeat {
  std::string topology_id;
  std::string host;
  int port = 0;
  std::int64_t time_secs = 0;  // Unix time of the beat
  std::int64_t uptime_secs = 0;
  nlohmann::json stats = nlohmann::json::object();
  // Stateful topologies (docs/STATE.md, "Recovery"): the assignment epoch the worker runs (0:
  // none yet), the worker process's random id, and the epoch it asks Nimbus to replace so that
  // every worker restores the last checkpoint (0: no request).
  std::uint64_t epoch = 0;
  std::string instance{};
  std::uint64_t recover_epoch = 0;
  bool operator==(const WorkerHeartbeat&) const = default;
};

struct ErrorInfo {
  std::string message;
  std::int64_t time_secs = 0;
  std::string host;
  int port = 0;
  bool operator==(const ErrorInfo&) const = default;
};

// An API token as Nimbus stores it: never the token, only its SHA-256 (docs/SECURITY.md).
struct TokenRecord {
  std::string principal;          // who presents it; a valid name (validate_name)
  std::string role;               // "admin", "deployer", "viewer" or "supervisor"
  std::string sha256;             // of the token's secret part, lower-case hex
  std::int64_t created_secs = 0;  // Unix time
  bool operator==(const TokenRecord&) const = default;
};

// What a topology's workers authenticate with (docs/SECURITY.md), made by Nimbus at submit: a
// CURVE key pair shared by the topology's workers (Z85 text, 40 characters each), and their
// ZooKeeper identity ("topology-<id>:<secret>"), which may read only the topology's own nodes
// and write only its heartbeats (ClusterState::admit_workers). Empty identity: the workers use
// the cluster's (a topology from before identities existed).
struct TopologyCredentials {
  std::string curve_public;
  std::string curve_secret;
  std::string zookeeper_auth{};
  bool operator==(const TopologyCredentials&) const = default;
};

std::string encode(const TopologyRecord& record);
std::string encode(const TokenRecord& token);
std::string encode(const Assignment& assignment);
std::string encode(const SupervisorInfo& supervisor);
std::string encode(const WorkerHeartbeat& heartbeat);
std::string encode(const std::vector<ErrorInfo>& errors);

Result<TopologyRecord> decode_topology(std::string_view json);
Result<Assignment> decode_assignment(std::string_view json);
Result<SupervisorInfo> decode_supervisor(std::string_view json);
Result<WorkerHeartbeat> decode_heartbeat(std::string_view json);
Result<std::vector<ErrorInfo>> decode_errors(std::string_view json);
Result<TokenRecord> decode_token(std::string_view json);
std::string encode(const TopologyCredentials& credentials);
Result<TopologyCredentials> decode_credentials(std::string_view json);

std::string_view to_string(TopologyStatus status);

}  // namespace gale::coordination
