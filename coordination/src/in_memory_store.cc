#include "gale/coordination/in_memory_store.h"

#include <cstdio>
#include <utility>

#include "callback_thread.h"

namespace gale::coordination {
namespace {

Error error_at(StoreErrc e, std::string_view op, std::string_view path) {
  return make_error(
      e, std::string(op) + " " + std::string(path) + ": " + make_error_code(e).message());
}

std::string sequential_suffix(std::int64_t n) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%010lld", static_cast<long long>(n));
  return buffer;
}

}  // namespace

InMemoryStore::InMemoryStore() : callbacks_(std::make_unique<CallbackThread>()) {
  nodes_.emplace("/", Node{});
}

InMemoryStore::~InMemoryStore() = default;

Result<std::string> InMemoryStore::create(std::string_view path, std::string_view data,
                                          CreateMode mode) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  std::string created;
  if (auto status = create_locked(std::string(path), data, mode, created); !status) {
    return status.error();
  }
  return created;
}

Status InMemoryStore::create_locked(const std::string& path, std::string_view data, CreateMode mode,
                                    std::string& created) {
  if (path == "/") return error_at(StoreErrc::node_exists, "create", path);
  const std::string parent = parent_path(path);
  auto parent_it = nodes_.find(parent);
  if (parent_it == nodes_.end()) return error_at(StoreErrc::no_node, "create", path);
  if (parent_it->second.ephemeral_owner != 0) {
    return make_error(StoreErrc::other, "create " + path + ": ephemeral nodes have no children");
  }
  created = path;
  if (mode == CreateMode::persistent_sequential) {
    created += sequential_suffix(parent_it->second.next_sequence++);
  }
  if (nodes_.contains(created)) return error_at(StoreErrc::node_exists, "create", created);
  Node node{std::string(data), 0, mode == CreateMode::ephemeral ? session_id_ : 0, 0};
  nodes_.emplace(created, std::move(node));
  fire_locked(created, WatchEventType::created, &Watches::data);
  fire_locked(parent, WatchEventType::children_changed, &Watches::children);
  return {};
}

Result<std::optional<NodeData>> InMemoryStore::get(std::string_view path) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(std::string(path));
  if (it == nodes_.end()) return std::optional<NodeData>{};
  return std::optional<NodeData>{NodeData{it->second.data, it->second.version}};
}

Result<std::int32_t> InMemoryStore::set(std::string_view path, std::string_view data,
                                        std::int32_t expected_version) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  const std::string key(path);
  auto it = nodes_.find(key);
  if (it == nodes_.end()) return error_at(StoreErrc::no_node, "set", path);
  if (expected_version != -1 && it->second.version != expected_version) {
    return error_at(StoreErrc::bad_version, "set", path);
  }
  it->second.data = data;
  const std::int32_t version = ++it->second.version;
  fire_locked(key, WatchEventType::data_changed, &Watches::data);
  return version;
}

Status InMemoryStore::remove(std::string_view path, std::int32_t expected_version) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  return remove_locked(std::string(path), expected_version);
}

Status InMemoryStore::remove_locked(const std::string& path, std::int32_t expected_version) {
  if (path == "/") return make_error(StoreErrc::other, "remove /: the root cannot be removed");
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return error_at(StoreErrc::no_node, "remove", path);
  if (expected_version != -1 && it->second.version != expected_version) {
    return error_at(StoreErrc::bad_version, "remove", path);
  }
  if (!child_names_locked(path).empty()) return error_at(StoreErrc::not_empty, "remove", path);
  nodes_.erase(it);
  fire_locked(path, WatchEventType::deleted, &Watches::data);
  fire_locked(path, WatchEventType::deleted, &Watches::children);
  fire_locked(parent_path(path), WatchEventType::children_changed, &Watches::children);
  return {};
}

Result<std::vector<std::string>> InMemoryStore::children(std::string_view path) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  const std::string key(path);
  if (!nodes_.contains(key)) return error_at(StoreErrc::no_node, "children", path);
  return child_names_locked(key);
}

std::vector<std::string> InMemoryStore::child_names_locked(const std::string& path) const {
  const std::string prefix = path == "/" ? "/" : path + "/";
  std::vector<std::string> names;
  for (auto it = nodes_.upper_bound(prefix); it != nodes_.end(); ++it) {
    const std::string& candidate = it->first;
    if (candidate.compare(0, prefix.size(), prefix) != 0) break;
    std::string_view rest = std::string_view(candidate).substr(prefix.size());
    if (rest.find('/') == std::string_view::npos) names.emplace_back(rest);
  }
  return names;  // std::map order: already sorted
}

Result<bool> InMemoryStore::exists(std::string_view path) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  return nodes_.contains(std::string(path));
}

Result<std::optional<NodeData>> InMemoryStore::get_and_watch(std::string_view path,
                                                             WatchCallback callback) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  const std::string key(path);
  watches_[key].data.push_back(std::move(callback));
  auto it = nodes_.find(key);
  if (it == nodes_.end()) return std::optional<NodeData>{};
  return std::optional<NodeData>{NodeData{it->second.data, it->second.version}};
}

Result<std::vector<std::string>> InMemoryStore::children_and_watch(std::string_view path,
                                                                   WatchCallback callback) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  const std::string key(path);
  if (!nodes_.contains(key)) return error_at(StoreErrc::no_node, "children", path);
  watches_[key].children.push_back(std::move(callback));
  return child_names_locked(key);
}

Status InMemoryStore::mkdirs(std::string_view path) {
  if (auto valid = validate_path(path); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  std::size_t end = 0;
  while (end != std::string_view::npos) {
    end = path.find('/', end + 1);
    const std::string prefix(path.substr(0, end));
    if (nodes_.contains(prefix)) continue;
    std::string created;
    if (auto status = create_locked(prefix, "", CreateMode::persistent, created); !status) {
      return status;
    }
  }
  return {};
}

void InMemoryStore::expire_session() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ephemerals;
  for (const auto& [path, node] : nodes_) {
    if (node.ephemeral_owner == session_id_) ephemerals.push_back(path);
  }
  for (const auto& path : ephemerals) (void)remove_locked(path, -1);
  ++session_id_;
}

void InMemoryStore::fire_locked(const std::string& path, WatchEventType type,
                                std::vector<WatchCallback> Watches::*kind) {
  auto it = watches_.find(path);
  if (it == watches_.end()) return;
  for (auto& callback : std::exchange(it->second.*kind, {})) {
    callbacks_->post(
        [callback = std::move(callback), event = WatchEvent{type, path}] { callback(event); });
  }
  if (it->second.data.empty() && it->second.children.empty()) watches_.erase(it);
}

}  // namespace gale::coordination
