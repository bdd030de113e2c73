#include "gale/state/backend.h"

#include <algorithm>
#include <set>

namespace gale::state {
namespace {

class StateCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.state"; }
  std::string message(int value) const override {
    switch (static_cast<StateErrc>(value)) {
      case StateErrc::ok:
        return "ok";
      case StateErrc::unavailable:
        return "state backend unavailable";
      case StateErrc::corrupt:
        return "corrupt checkpoint";
      case StateErrc::incompatible:
        return "incompatible state";
      case StateErrc::bad_config:
        return "bad state configuration";
      case StateErrc::fenced:
        return "fenced by a newer epoch";
      case StateErrc::not_found:
        return "not found";
      case StateErrc::exists:
        return "exists";
    }
    return "unknown state error";
  }
};

// A chain longer than this is broken, not long: topology.state.full.every bounds it.
constexpr int kMaxChain = 100000;

// A part's link, from its first bytes; from the whole part if they are not laid out as
// encode_part lays them now. nullopt: no part, or one that does not decode.
Result<std::optional<PartLink>> read_link(StateBackend& backend, std::string_view topology,
                                          CheckpointId id, int task) {
  auto head = backend.read_part_head(topology, id, task, kPartLinkBytes);
  if (!head.ok()) return head.error();
  if (!*head) return std::optional<PartLink>{};
  if (auto link = decode_link(**head)) return std::optional<PartLink>{*link};
  auto bytes = backend.read_part(topology, id, task);
  if (!bytes.ok()) return bytes.error();
  if (!*bytes) return std::optional<PartLink>{};
  auto part = decode_part(**bytes);
  if (!part.ok()) return std::optional<PartLink>{};
  return std::optional<PartLink>{PartLink{part->prev, part->full}};
}

}  // namespace

const std::error_category& state_category() noexcept {
  static const StateCategory category;
  return category;
}

std::shared_ptr<StateBackend> make_redis_backend(const Config& config);  // redis_backend.cc

Result<std::shared_ptr<StateBackend>> make_backend(const Config& config, bool cluster) {
  std::string name = config.get_string(conf::kTopologyStateBackend);
  if (name == "auto") name = cluster ? "redis" : "memory";
  if (name == "memory") return memory_backend();
  if (name == "redis") {
    try {
      return make_redis_backend(config);
    } catch (const std::invalid_argument& e) {  // a redis.* key out of range
      return make_error(StateErrc::bad_config, e.what());
    }
  }
  return make_error(StateErrc::bad_config, std::string(conf::kTopologyStateBackend) + " '" + name +
                                               "': unknown backend (known: auto, memory, redis)");
}

Result<RestoredTask> read_task(StateBackend& backend, std::string_view topology, CheckpointId id,
                               int task) {
  std::vector<TaskPart> chain;
  for (CheckpointId at = id;;) {
    auto bytes = backend.read_part(topology, at, task);
    if (!bytes.ok()) return bytes.error();
    if (!*bytes)
      return make_error(StateErrc::corrupt, "checkpoint " + std::to_string(id) + " of '" +
                                                std::string(topology) + "': task " +
                                                std::to_string(task) + "'s part " +
                                                std::to_string(at) + " is missing");
    auto part = decode_part(**bytes);
    if (!part.ok())
      return make_error(StateErrc::corrupt, "task " + std::to_string(task) + ", part " +
                                                std::to_string(at) + ": " + part.error().message);
    bool full = part->full;
    CheckpointId prev = part->prev;
    chain.push_back(std::move(*part));
    if (full) break;
    if (prev == 0 || prev >= at || chain.size() > kMaxChain)
      return make_error(StateErrc::corrupt, "task " + std::to_string(task) + ", part " +
                                                std::to_string(at) + ": broken link to part " +
                                                std::to_string(prev));
    at = prev;
  }
  std::reverse(chain.begin(), chain.end());
  return replay_chain(id, chain);
}

Result<RestoredTask> restore_task(StateBackend& backend, std::string_view topology, CheckpointId id,
                                  int task, std::string_view component) {
  auto restored = read_task(backend, topology, id, task);
  if (restored.ok() && restored->component != component)
    return make_error(StateErrc::incompatible,
                      "checkpoint " + std::to_string(id) + " holds task " + std::to_string(task) +
                          " of component '" + restored->component + "', which is now task " +
                          std::to_string(task) + " of '" + std::string(component) +
                          "': the topology's components changed");
  return restored;
}

Status collect_garbage(StateBackend& backend, std::string_view topology, int retain) {
  auto done = backend.completed(topology);
  if (!done.ok()) return done.error();
  if (done->empty()) return {};
  const CheckpointId newest = done->back().id;
  std::vector<CheckpointId> drop_records;
  std::size_t keep_from = done->size() > static_cast<std::size_t>(std::max(1, retain))
                              ? done->size() - static_cast<std::size_t>(std::max(1, retain))
                              : 0;
  for (std::size_t i = 0; i < keep_from; ++i) drop_records.push_back((*done)[i].id);
  // Every part a kept checkpoint's chains reach.
  std::set<PartKey> needed;
  for (std::size_t i = keep_from; i < done->size(); ++i) {
    for (const StoredPart& p : (*done)[i].parts) {
      for (CheckpointId at = (*done)[i].id; at != 0 && needed.insert({p.task, at}).second;) {
        auto link = read_link(backend, topology, at, p.task);
        if (!link.ok()) return link.error();
        if (!*link || (*link)->full) break;
        at = (*link)->prev;
      }
    }
  }
  auto all = backend.parts(topology);
  if (!all.ok()) return all.error();
  std::vector<PartKey> drop;
  for (const PartKey& p : *all)
    if (p.second <= newest && !needed.count(p)) drop.push_back(p);
  if (drop.empty() && drop_records.empty()) return {};
  return backend.remove(topology, drop, drop_records);
}

}  // namespace gale::state
