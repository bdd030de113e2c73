#pragma once
// ClusterState: Gale's cluster state over a StateStore (Storm's IStormClusterState). It alone
// knows the paths, relative to `root`:
//   /storms/<topology-id>                      TopologyRecord (JSON)
//   /assignments/<topology-id>                 Assignment (JSON)
//   /supervisors/<supervisor-id>               SupervisorInfo (JSON), ephemeral
//   /workerbeats/<topology-id>/<host>-<port>   WorkerHeartbeat (JSON)
//   /errors/<topology-id>/<component>          the last 10 ErrorInfo (JSON array)
//   /blobs/<topology-id>/<key>                 a topology's blob (raw bytes, e.g. a rules file)
//   /nimbus/leader                             the leader's id, ephemeral
//   /tokens/<principal>                        TokenRecord (JSON): an API token's hash
//   /credentials/<topology-id>                 TopologyCredentials (JSON): its workers' keys
// Names that become path components are checked with validate_name (invalid_path otherwise);
// stored records that do not decode give StoreErrc::other with a message.
//
// Thread-safety and blocking are the store's: every method is one or a few store calls.
// Watch callbacks run on the store's callback thread (see WatchCallback).
#include <optional>
#include <string>
#include <vector>

#include "gale/coordination/records.h"
#include "gale/coordination/state_store.h"

namespace gale::coordination {

class ClusterState {
 public:
  // Borrows `store`, which must outlive this. `root` is relative to the store's own root
  // (ZooKeeperStore already confines everything under its chroot, "/gale" by default).
  explicit ClusterState(StateStore& store, std::string root = "/");

  // Creates the top-level folders if missing. Call once before the other methods.
  Status init();
  // The root and folders of init() whose ACL lets any client in (made before the cluster had
  // a ZooKeeper identity): empty when all are closed.
  Result<std::vector<std::string>> open_folders();

  // Topologies. set_topology creates or replaces; remove succeeds if already absent.
  Status set_topology(const TopologyRecord& record);
  Result<std::optional<TopologyRecord>> topology(std::string_view topology_id);
  Status remove_topology(std::string_view topology_id);
  Result<std::vector<std::string>> topology_ids();

  // Assignments, as topologies. The watch_ variants set a one-shot watch atomically with the
  // read: on the list of assigned topologies, or on one assignment's data.
  Status set_assignment(const Assignment& assignment);
  Result<std::optional<Assignment>> assignment(std::string_view topology_id);
  Status remove_assignment(std::string_view topology_id);
  Result<std::vector<std::string>> assignment_ids();
  Result<std::vector<std::string>> watch_assignment_ids(WatchCallback callback);
  Result<std::optional<Assignment>> watch_assignment(std::string_view topology_id,
                                                     WatchCallback callback);

  // Supervisors: an ephemeral node per supervisor, gone when its session ends. Registering
  // again replaces the node (and so ties it to the current session).
  Status register_supervisor(const SupervisorInfo& info);
  // Rewrites this session's supervisor node in place (no moment without it); registers it if
  // it is missing.
  Status update_supervisor(const SupervisorInfo& info);
  Result<std::vector<SupervisorInfo>> supervisors();
  Result<std::vector<std::string>> watch_supervisor_ids(WatchCallback callback);

  // Worker heartbeats, one node per worker slot; reading skips workers removed meanwhile.
  Status write_heartbeat(const WorkerHeartbeat& heartbeat);
  Result<std::vector<WorkerHeartbeat>> heartbeats(std::string_view topology_id);
  Status remove_heartbeat(std::string_view topology_id, std::string_view host, int port);
  // Every heartbeat of the topology and their folder; succeeds if already absent.
  Status remove_heartbeats(std::string_view topology_id);

  // Errors: keeps the last 10 per component, oldest first.
  Status report_error(std::string_view topology_id, std::string_view component,
                      const ErrorInfo& error);
  Result<std::vector<ErrorInfo>> errors(std::string_view topology_id, std::string_view component);

  // Blobs: files a topology reads and that may be replaced while it runs (Storm's blobstore,
  // kept small: one ZooKeeper node each, so at most kMaxBlobBytes). The version counts
  // replacements, so a worker can tell a new blob from the one it has.
  Status set_blob(std::string_view topology_id, std::string_view key, std::string_view data);
  Result<std::optional<NodeData>> blob(std::string_view topology_id, std::string_view key);
  Result<std::vector<std::string>> blob_keys(std::string_view topology_id);
  Status remove_blobs(std::string_view topology_id);

  // The key pair a topology's workers authenticate each other with; none: plain connections.
  // Written by Nimbus before the assignment, removed with the topology.
  Status set_credentials(std::string_view topology_id, const TopologyCredentials& credentials);
  Result<std::optional<TopologyCredentials>> credentials(std::string_view topology_id);
  Status remove_credentials(std::string_view topology_id);

  // Lets the topology's workers, authenticated as `worker_identity` ("user:password"), read the
  // topology's record, assignment, credentials and blobs (blobs added later too) and write
  // their heartbeats beneath /workerbeats/<id>, which it creates; nothing else of the cluster.
  // Called by Nimbus after the assignment is written; safe to repeat.
  Status admit_workers(std::string_view topology_id, const std::string& worker_identity);

  // API tokens, one per principal: set_token creates or replaces (a new token for the same
  // principal revokes the old one); remove succeeds if already absent.
  Status set_token(const TokenRecord& token);
  Result<std::optional<TokenRecord>> token(std::string_view principal);
  Result<std::vector<TokenRecord>> tokens();
  Status remove_token(std::string_view principal);

  // Leader election: true if `nimbus_id` now holds (or already held) /nimbus/leader.
  Result<bool> try_become_leader(std::string_view nimbus_id);
  Result<std::optional<std::string>> leader();

  static constexpr std::size_t kMaxErrorsPerComponent = 10;
  static constexpr std::size_t kMaxBlobBytes = 512 * 1024;

 private:
  std::string path(std::string_view folder) const;
  std::string path(std::string_view folder, std::string_view name) const;
  Result<std::string> heartbeat_path(std::string_view topology_id, std::string_view host,
                                     int port) const;
  // Writes `data` at `path` whether or not a node is there, creating the parent if needed.
  Status put(const std::string& path, const std::string& data);
  Status remove_if_present(const std::string& path);

  StateStore& store_;
  std::string root_;
};

}  // namespace gale::coordination
