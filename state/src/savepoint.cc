#include "gale/state/savepoint.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

namespace gale::state {
namespace {

constexpr int kManifestTask = 0;
constexpr const char* kManifestComponent = "__savepoint";

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string manifest_json(const SavepointInfo& info) {
  nlohmann::json tasks = nlohmann::json::object();
  for (const auto& [task, component] : info.tasks) tasks[std::to_string(task)] = component;
  return nlohmann::json{{"name", info.name},
                        {"topology_id", info.topology_id},
                        {"topology_name", info.topology_name},
                        {"owner", info.owner},
                        {"taken_by", info.taken_by},
                        {"checkpoint", info.checkpoint},
                        {"created_ms", info.created_ms},
                        {"bytes", info.bytes},
                        {"tasks", tasks}}
      .dump();
}

Result<SavepointInfo> parse_manifest(std::string_view name, const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    SavepointInfo info;
    info.name = j.at("name").get<std::string>();
    info.topology_id = j.at("topology_id").get<std::string>();
    info.topology_name = j.at("topology_name").get<std::string>();
    info.owner = j.at("owner").get<std::string>();
    info.taken_by = j.at("taken_by").get<std::string>();
    info.checkpoint = j.at("checkpoint").get<CheckpointId>();
    info.created_ms = j.at("created_ms").get<std::int64_t>();
    info.bytes = j.at("bytes").get<std::uint64_t>();
    for (const auto& [task, component] : j.at("tasks").items())
      info.tasks[std::stoi(task)] = component.get<std::string>();
    return info;
  } catch (const std::exception& e) {
    return make_error(StateErrc::corrupt,
                      "savepoint '" + std::string(name) + "': its manifest: " + e.what());
  }
}

// A task's restored state as one full part.
TaskPart flattened(RestoredTask task) {
  TaskPart part;
  part.component = std::move(task.component);
  part.position = std::move(task.position);
  for (auto& [name, state] : task.states) {
    StateDelta delta{name, std::move(state.type), {}};
    for (auto& [key, value] : state.entries) delta.entries.emplace_back(key, std::move(value));
    part.states.push_back(std::move(delta));
  }
  return part;
}

}  // namespace

std::string savepoint_namespace(std::string_view name) {
  return "savepoint:" + std::string(name);
}

namespace {

// One try at copying the last complete checkpoint; `written` collects the parts written.
Result<SavepointInfo> copy_last(StateBackend& backend, SavepointInfo info,
                                std::vector<PartKey>& written, bool& collected) {
  const std::string space = savepoint_namespace(info.name);
  auto done = backend.completed(info.topology_id);
  if (!done.ok()) return done.error();
  if (done->empty())
    return make_error(StateErrc::not_found, "topology '" + info.topology_name +
                                                "' has no complete checkpoint yet to save");
  const CheckpointRecord& last = done->back();
  info.checkpoint = last.id;
  info.created_ms = unix_ms();
  CheckpointRecord record{last.id, last.triggered_ms, last.duration_ms, 0, {}};
  for (const StoredPart& p : last.parts) {
    auto task = read_task(backend, info.topology_id, last.id, p.task);
    if (!task.ok()) {
      // Collected while being read: the topology completed newer checkpoints meanwhile.
      auto now = backend.completed(info.topology_id);
      collected = now.ok() && (now->empty() || now->front().id > last.id);
      return task.error();
    }
    info.tasks[p.task] = task->component;
    std::string bytes = encode_part(flattened(std::move(*task)));
    record.parts.push_back({p.task, bytes.size()});
    record.bytes += bytes.size();
    written.push_back({p.task, last.id});
    if (auto w = backend.write_part(space, last.id, p.task, std::move(bytes)); !w.ok())
      return w.error();
  }
  info.bytes = record.bytes;
  TaskPart manifest;
  manifest.component = kManifestComponent;
  manifest.position = manifest_json(info);
  std::string bytes = encode_part(manifest);
  record.parts.push_back({kManifestTask, bytes.size()});
  written.push_back({kManifestTask, last.id});
  if (auto w = backend.write_part(space, last.id, kManifestTask, std::move(bytes)); !w.ok())
    return w.error();
  // The commit point: until it, the savepoint does not exist.
  if (auto c = backend.complete(space, record, 0); !c.ok()) return c.error();
  return info;
}

}  // namespace

Result<SavepointInfo> take_savepoint(StateBackend& backend, SavepointInfo info) {
  const std::string space = savepoint_namespace(info.name);
  auto taken = backend.completed(space);
  if (!taken.ok()) return taken.error();
  if (!taken->empty())
    return make_error(StateErrc::exists, "a savepoint named '" + info.name + "' exists");
  // A busy topology may collect the checkpoint being copied (retention): a few tries, each on
  // its newest one; what a failed try wrote is deleted.
  constexpr int kTries = 3;
  for (int attempt = 1;; ++attempt) {
    std::vector<PartKey> written;
    bool collected = false;
    auto copied = copy_last(backend, info, written, collected);
    if (copied.ok()) return copied;
    (void)backend.remove(space, written, {});
    if (!collected) return copied.error();
    if (attempt == kTries)
      return make_error(StateErrc::unavailable,
                        "topology '" + info.topology_name +
                            "' collected its checkpoints faster "
                            "than they could be copied (" +
                            std::to_string(kTries) +
                            " tries); try again, or raise topology.state.checkpoints.retained");
  }
}

Status check_savepoint_tasks(const SavepointInfo& savepoint,
                             const std::map<int, std::string>& tasks) {
  // Each component of the savepoint keeps exactly its tasks: another count would spread its
  // keys over tasks that hold other keys' state, or none.
  std::map<std::string, std::set<int>> saved, now;
  for (const auto& [task, component] : savepoint.tasks) saved[component].insert(task);
  for (const auto& [task, component] : tasks) now[component].insert(task);
  for (const auto& [component, saved_tasks] : saved) {
    const auto& now_tasks = now[component];
    if (now_tasks == saved_tasks) continue;
    auto list = [](const std::set<int>& s) {
      std::string out;
      for (int t : s) out += (out.empty() ? "" : ",") + std::to_string(t);
      return out.empty() ? std::string("none") : out;
    };
    return make_error(StateErrc::incompatible,
                      "savepoint '" + savepoint.name + "' holds component '" + component +
                          "' as tasks " + list(saved_tasks) + ", which in this topology are " +
                          list(now_tasks) +
                          ": a topology starting from a savepoint keeps its components and their "
                          "task counts (new components may come after them)");
  }
  return {};
}

Result<SavepointInfo> find_savepoint(StateBackend& backend, std::string_view name) {
  const std::string space = savepoint_namespace(name);
  auto done = backend.completed(space);
  if (!done.ok()) return done.error();
  if (done->empty())
    return make_error(StateErrc::not_found, "no savepoint named '" + std::string(name) + "'");
  auto bytes = backend.read_part(space, done->back().id, kManifestTask);
  if (!bytes.ok()) return bytes.error();
  if (!*bytes)
    return make_error(StateErrc::corrupt, "savepoint '" + std::string(name) + "' has no manifest");
  auto part = decode_part(**bytes);
  if (!part.ok()) return part.error();
  if (part->component != kManifestComponent || !part->position)
    return make_error(StateErrc::corrupt, "savepoint '" + std::string(name) + "' has no manifest");
  return parse_manifest(name, *part->position);
}

}  // namespace gale::state
