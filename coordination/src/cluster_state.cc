#include "gale/coordination/cluster_state.h"

#include <utility>

namespace gale::coordination {
namespace {

constexpr std::string_view kStorms = "storms";
constexpr std::string_view kAssignments = "assignments";
constexpr std::string_view kSupervisors = "supervisors";
constexpr std::string_view kWorkerbeats = "workerbeats";
constexpr std::string_view kErrors = "errors";
constexpr std::string_view kNimbus = "nimbus";
constexpr std::string_view kBlobs = "blobs";
constexpr std::string_view kTokens = "tokens";
constexpr std::string_view kCredentials = "credentials";

// Reads the node at `path` and decodes it; empty if there is no node.
template <class T>
Result<std::optional<T>> read_record(Result<std::optional<NodeData>> node,
                                     Result<T> (*decode)(std::string_view)) {
  if (!node) return node.error();
  if (!node.value()) return std::optional<T>{};
  auto record = decode(node.value()->data);
  if (!record) return record.error();
  return std::optional<T>{std::move(record).value()};
}

}  // namespace

ClusterState::ClusterState(StateStore& store, std::string root)
    : store_(store), root_(std::move(root)) {}

std::string ClusterState::path(std::string_view folder) const {
  return join_path(root_, folder);
}

std::string ClusterState::path(std::string_view folder, std::string_view name) const {
  return join_path(path(folder), name);
}

Status ClusterState::init() {
  for (auto folder : {kStorms, kAssignments, kSupervisors, kWorkerbeats, kErrors, kNimbus, kBlobs,
                      kTokens, kCredentials}) {
    if (auto made = store_.mkdirs(path(folder)); !made) return made;
  }
  return {};
}

Result<std::vector<std::string>> ClusterState::open_folders() {
  std::vector<std::string> open;
  std::vector<std::string> nodes{root_.empty() ? std::string("/") : root_};
  for (auto folder : {kStorms, kAssignments, kSupervisors, kWorkerbeats, kErrors, kNimbus, kBlobs,
                      kTokens, kCredentials})
    nodes.push_back(path(folder));
  for (const auto& node : nodes) {
    auto is_open = store_.open_to_anyone(node);
    if (!is_open) return is_open.error();
    if (*is_open) open.push_back(node);
  }
  return open;
}

Status ClusterState::put(const std::string& node, const std::string& data) {
  auto updated = store_.set(node, data);
  if (updated || updated.code() != StoreErrc::no_node) return updated ? Status{} : updated.error();
  if (auto made = store_.mkdirs(parent_path(node)); !made) return made;
  auto created = store_.create(node, data, CreateMode::persistent);
  if (created || created.code() != StoreErrc::node_exists) {
    return created ? Status{} : created.error();
  }
  auto raced = store_.set(node, data);  // created by someone else in between: ours wins
  return raced ? Status{} : raced.error();
}

Status ClusterState::remove_if_present(const std::string& node) {
  auto removed = store_.remove(node);
  return removed || removed.code() == StoreErrc::no_node ? Status{} : removed;
}

Status ClusterState::set_topology(const TopologyRecord& record) {
  if (auto valid = validate_name("topology id", record.id); !valid) return valid;
  return put(path(kStorms, record.id), encode(record));
}

Result<std::optional<TopologyRecord>> ClusterState::topology(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  return read_record(store_.get(path(kStorms, topology_id)), &decode_topology);
}

Status ClusterState::remove_topology(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid;
  return remove_if_present(path(kStorms, topology_id));
}

Result<std::vector<std::string>> ClusterState::topology_ids() {
  return store_.children(path(kStorms));
}

Status ClusterState::set_token(const TokenRecord& token) {
  if (auto valid = validate_name("principal", token.principal); !valid) return valid;
  return put(path(kTokens, token.principal), encode(token));
}

Result<std::optional<TokenRecord>> ClusterState::token(std::string_view principal) {
  if (auto valid = validate_name("principal", principal); !valid) return valid.error();
  return read_record(store_.get(path(kTokens, principal)), &decode_token);
}

Result<std::vector<TokenRecord>> ClusterState::tokens() {
  auto names = store_.children(path(kTokens));
  if (!names) return names.error();
  std::vector<TokenRecord> out;
  for (const auto& name : *names) {
    auto record = token(name);
    if (!record) return record.error();
    if (*record) out.push_back(std::move(**record));  // skips one revoked meanwhile
  }
  return out;
}

Status ClusterState::remove_token(std::string_view principal) {
  if (auto valid = validate_name("principal", principal); !valid) return valid;
  return remove_if_present(path(kTokens, principal));
}

Status ClusterState::set_assignment(const Assignment& assignment) {
  if (auto valid = validate_name("topology id", assignment.topology_id); !valid) return valid;
  return put(path(kAssignments, assignment.topology_id), encode(assignment));
}

Result<std::optional<Assignment>> ClusterState::assignment(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  return read_record(store_.get(path(kAssignments, topology_id)), &decode_assignment);
}

Status ClusterState::remove_assignment(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid;
  return remove_if_present(path(kAssignments, topology_id));
}

Result<std::vector<std::string>> ClusterState::assignment_ids() {
  return store_.children(path(kAssignments));
}

Result<std::vector<std::string>> ClusterState::watch_assignment_ids(WatchCallback callback) {
  return store_.children_and_watch(path(kAssignments), std::move(callback));
}

Result<std::optional<Assignment>> ClusterState::watch_assignment(std::string_view topology_id,
                                                                 WatchCallback callback) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  return read_record(store_.get_and_watch(path(kAssignments, topology_id), std::move(callback)),
                     &decode_assignment);
}

Status ClusterState::register_supervisor(const SupervisorInfo& info) {
  if (auto valid = validate_name("supervisor id", info.id); !valid) return valid;
  const std::string node = path(kSupervisors, info.id);
  // A node left by an earlier session of this supervisor would vanish with that session.
  if (auto removed = remove_if_present(node); !removed) return removed;
  auto created = store_.create(node, encode(info), CreateMode::ephemeral);
  return created ? Status{} : created.error();
}

Status ClusterState::update_supervisor(const SupervisorInfo& info) {
  if (auto valid = validate_name("supervisor id", info.id); !valid) return valid;
  auto set = store_.set(path(kSupervisors, info.id), encode(info));
  if (set) return {};
  if (set.code() != make_error_code(StoreErrc::no_node)) return set.error();
  return register_supervisor(info);
}

Result<std::vector<SupervisorInfo>> ClusterState::supervisors() {
  auto ids = store_.children(path(kSupervisors));
  if (!ids) return ids.error();
  std::vector<SupervisorInfo> infos;
  for (const auto& id : ids.value()) {
    auto info = read_record(store_.get(path(kSupervisors, id)), &decode_supervisor);
    if (!info) return info.error();
    if (info.value()) infos.push_back(std::move(*info.value()));  // else gone meanwhile
  }
  return infos;
}

Result<std::vector<std::string>> ClusterState::watch_supervisor_ids(WatchCallback callback) {
  return store_.children_and_watch(path(kSupervisors), std::move(callback));
}

Result<std::string> ClusterState::heartbeat_path(std::string_view topology_id,
                                                 std::string_view host, int port) const {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  if (auto valid = validate_name("host", host); !valid) return valid.error();
  if (port <= 0 || port > 65535) {
    return make_error(StoreErrc::invalid_path, "invalid port " + std::to_string(port));
  }
  return join_path(path(kWorkerbeats, topology_id), std::string(host) + "-" + std::to_string(port));
}

Status ClusterState::write_heartbeat(const WorkerHeartbeat& heartbeat) {
  auto node = heartbeat_path(heartbeat.topology_id, heartbeat.host, heartbeat.port);
  if (!node) return node.error();
  return put(node.value(), encode(heartbeat));
}

Result<std::vector<WorkerHeartbeat>> ClusterState::heartbeats(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  const std::string folder = path(kWorkerbeats, topology_id);
  // The folder and its nodes are written by the topology's workers, that is by its code: a node
  // that cannot be read or decoded is no heartbeat (and nothing worse), and a folder whose ACL
  // the workers changed holds none. Only the store's own failures are errors.
  auto unreadable = [](const Error& error) {
    return error.code == StoreErrc::no_node || error.code == StoreErrc::not_authorized;
  };
  auto workers = store_.children(folder);
  if (!workers) {
    if (unreadable(workers.error())) return std::vector<WorkerHeartbeat>{};
    return workers.error();
  }
  std::vector<WorkerHeartbeat> beats;
  for (const auto& worker : workers.value()) {
    auto node = store_.get(join_path(folder, worker));
    if (!node && !unreadable(node.error())) return node.error();
    if (!node || !node.value()) continue;
    auto beat = decode_heartbeat(node.value()->data);
    if (beat) beats.push_back(std::move(beat).value());
  }
  return beats;
}

Status ClusterState::remove_heartbeat(std::string_view topology_id, std::string_view host,
                                      int port) {
  auto node = heartbeat_path(topology_id, host, port);
  if (!node) return node.error();
  return remove_if_present(node.value());
}

Status ClusterState::remove_heartbeats(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid;
  const std::string folder = path(kWorkerbeats, topology_id);
  auto workers = store_.children(folder);
  if (!workers) return workers.code() == StoreErrc::no_node ? Status{} : workers.error();
  for (const auto& worker : *workers)
    if (auto removed = remove_if_present(join_path(folder, worker)); !removed) return removed;
  return remove_if_present(folder);
}

Status ClusterState::report_error(std::string_view topology_id, std::string_view component,
                                  const ErrorInfo& error) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid;
  if (auto valid = validate_name("component", component); !valid) return valid;
  const std::string node = join_path(path(kErrors, topology_id), component);
  for (;;) {  // read, append, write back if nobody wrote in between
    auto current = store_.get(node);
    if (!current) return current.error();
    if (!current.value()) {  // the component's first error (or its node was just removed)
      if (auto made = store_.mkdirs(node); !made) return made;
      continue;
    }
    std::vector<ErrorInfo> list;
    if (!current.value()->data.empty()) {
      auto decoded = decode_errors(current.value()->data);
      if (!decoded) return decoded.error();
      list = std::move(decoded).value();
    }
    list.push_back(error);
    if (list.size() > kMaxErrorsPerComponent) {
      list.erase(list.begin(), list.end() - kMaxErrorsPerComponent);
    }
    auto written = store_.set(node, encode(list), current.value()->version);
    if (written) return {};
    if (written.code() != StoreErrc::bad_version) return written.error();
  }
}

Result<std::vector<ErrorInfo>> ClusterState::errors(std::string_view topology_id,
                                                    std::string_view component) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  if (auto valid = validate_name("component", component); !valid) return valid.error();
  auto node = store_.get(join_path(path(kErrors, topology_id), component));
  if (!node) return node.error();
  if (!node.value() || node.value()->data.empty()) return std::vector<ErrorInfo>{};
  return decode_errors(node.value()->data);
}

Status ClusterState::set_blob(std::string_view topology_id, std::string_view key,
                              std::string_view data) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid;
  if (auto valid = validate_name("blob key", key); !valid) return valid;
  if (data.size() > kMaxBlobBytes) {
    return make_error(StoreErrc::other, "blob '" + std::string(key) + "' has " +
                                            std::to_string(data.size()) + " bytes; at most " +
                                            std::to_string(kMaxBlobBytes) + " are kept");
  }
  return put(join_path(path(kBlobs, topology_id), key), std::string(data));
}

Result<std::optional<NodeData>> ClusterState::blob(std::string_view topology_id,
                                                   std::string_view key) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  if (auto valid = validate_name("blob key", key); !valid) return valid.error();
  return store_.get(join_path(path(kBlobs, topology_id), key));
}

Result<std::vector<std::string>> ClusterState::blob_keys(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  auto keys = store_.children(path(kBlobs, topology_id));
  if (!keys && keys.code() == StoreErrc::no_node) return std::vector<std::string>{};
  return keys;
}

Status ClusterState::set_credentials(std::string_view topology_id,
                                     const TopologyCredentials& credentials) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid;
  return put(path(kCredentials, topology_id), encode(credentials));
}

Result<std::optional<TopologyCredentials>> ClusterState::credentials(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid.error();
  return read_record(store_.get(path(kCredentials, topology_id)), &decode_credentials);
}

Status ClusterState::remove_credentials(std::string_view topology_id) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid;
  return remove_if_present(path(kCredentials, topology_id));
}

Status ClusterState::admit_workers(std::string_view topology_id,
                                   const std::string& worker_identity) {
  if (auto valid = validate_name("topology id", topology_id); !valid) return valid;
  const std::string blobs = path(kBlobs, topology_id);
  const std::string beats = path(kWorkerbeats, topology_id);
  for (const auto& folder : {blobs, beats})
    if (auto made = store_.mkdirs(folder); !made) return made;
  auto keys = store_.children(blobs);
  if (!keys) return keys.error();
  std::vector<std::string> readable{path(kStorms, topology_id), path(kAssignments, topology_id),
                                    path(kCredentials, topology_id), blobs};
  for (const auto& key : *keys) readable.push_back(join_path(blobs, key));
  for (const auto& node : readable)
    if (auto granted = store_.grant(node, worker_identity, Access::read); !granted) return granted;
  // Every right on its heartbeats' folder: with it the workers could also change that folder's
  // ACL, which at worst hides their own heartbeats from Nimbus (which then moves them).
  return store_.grant(beats, worker_identity, Access::all);
}

Status ClusterState::remove_blobs(std::string_view topology_id) {
  auto keys = blob_keys(topology_id);
  if (!keys) return keys.error();
  const std::string folder = path(kBlobs, topology_id);
  for (const auto& key : keys.value()) {
    if (auto removed = remove_if_present(join_path(folder, key)); !removed) return removed;
  }
  return remove_if_present(folder);
}

Result<bool> ClusterState::try_become_leader(std::string_view nimbus_id) {
  if (auto valid = validate_name("nimbus id", nimbus_id); !valid) return valid.error();
  const std::string node = path(kNimbus, "leader");
  auto created = store_.create(node, nimbus_id, CreateMode::ephemeral);
  if (created) return true;
  if (created.code() != StoreErrc::node_exists) return created.error();
  auto holder = leader();
  if (!holder) return holder.error();
  return holder.value() == nimbus_id;
}

Result<std::optional<std::string>> ClusterState::leader() {
  auto node = store_.get(path(kNimbus, "leader"));
  if (!node) return node.error();
  if (!node.value()) return std::optional<std::string>{};
  return std::optional<std::string>{node.value()->data};
}

}  // namespace gale::coordination
