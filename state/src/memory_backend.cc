// The in-memory backend: one per process, shared by every Runtime in it (local mode, tests).
// Nothing survives the process; the cluster uses a durable backend.
#include <algorithm>
#include <deque>
#include <map>
#include <mutex>

#include "gale/state/backend.h"

namespace gale::state {
namespace {

class MemoryBackend final : public StateBackend {
 public:
  Status begin(std::string_view topology, CheckpointId id) override {
    std::lock_guard lock(mutex_);
    auto& t = of(topology);
    t.last_begun = std::max(t.last_begun, id);
    return {};
  }
  Result<CheckpointId> last_begun(std::string_view topology) override {
    std::lock_guard lock(mutex_);
    return of(topology).last_begun;
  }
  Status write_part(std::string_view topology, CheckpointId id, int task,
                    std::string bytes) override {
    std::lock_guard lock(mutex_);
    of(topology).parts[{task, id}] = std::move(bytes);
    return {};
  }
  Result<std::vector<StoredPart>> stored(std::string_view topology, CheckpointId id) override {
    std::lock_guard lock(mutex_);
    std::vector<StoredPart> out;
    for (const auto& [key, bytes] : of(topology).parts)
      if (key.second == id) out.push_back({key.first, bytes.size()});
    return out;
  }
  Result<std::optional<std::string>> read_part(std::string_view topology, CheckpointId id,
                                               int task) override {
    std::lock_guard lock(mutex_);
    auto& parts = of(topology).parts;
    auto it = parts.find({task, id});
    if (it == parts.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }
  Result<std::optional<std::string>> read_part_head(std::string_view topology, CheckpointId id,
                                                    int task, std::size_t n) override {
    std::lock_guard lock(mutex_);
    auto& parts = of(topology).parts;
    auto it = parts.find({task, id});
    if (it == parts.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second.substr(0, n)};
  }
  Status fence(std::string_view topology, std::uint64_t epoch) override {
    std::lock_guard lock(mutex_);
    auto& t = of(topology);
    t.fence = std::max(t.fence, epoch);
    return {};
  }
  Status complete(std::string_view topology, const CheckpointRecord& record,
                  std::uint64_t epoch) override {
    std::lock_guard lock(mutex_);
    auto& t = of(topology);
    if (t.fence > epoch)
      return make_error(StateErrc::fenced, "checkpoint " + std::to_string(record.id) + ": epoch " +
                                               std::to_string(t.fence) +
                                               " started after this coordinator's " +
                                               std::to_string(epoch));
    t.completed[record.id] = record;
    t.history.push_front(record);
    if (t.history.size() > kHistoryLength) t.history.pop_back();
    return {};
  }
  Result<std::vector<CheckpointRecord>> history(std::string_view topology,
                                                std::size_t limit) override {
    std::lock_guard lock(mutex_);
    const auto& h = of(topology).history;
    return std::vector<CheckpointRecord>(
        h.begin(), h.begin() + static_cast<std::ptrdiff_t>(std::min(limit, h.size())));
  }
  Result<std::vector<CheckpointRecord>> completed(std::string_view topology) override {
    std::lock_guard lock(mutex_);
    std::vector<CheckpointRecord> out;
    for (const auto& [id, r] : of(topology).completed) out.push_back(r);
    return out;
  }
  Result<std::vector<PartKey>> parts(std::string_view topology) override {
    std::lock_guard lock(mutex_);
    std::vector<PartKey> out;
    for (const auto& [key, bytes] : of(topology).parts) out.push_back(key);
    return out;
  }
  Status remove(std::string_view topology, std::span<const PartKey> parts,
                std::span<const CheckpointId> records) override {
    std::lock_guard lock(mutex_);
    auto& t = of(topology);
    for (const auto& p : parts) t.parts.erase(p);
    for (CheckpointId id : records) t.completed.erase(id);
    return {};
  }
  Status drop(std::string_view topology) override {
    std::lock_guard lock(mutex_);
    if (auto it = topologies_.find(topology); it != topologies_.end()) topologies_.erase(it);
    return {};
  }

 private:
  struct Topology {
    CheckpointId last_begun = 0;
    std::uint64_t fence = 0;
    std::map<PartKey, std::string> parts;
    std::map<CheckpointId, CheckpointRecord> completed;
    std::deque<CheckpointRecord> history;  // newest first
  };
  Topology& of(std::string_view name) {
    auto it = topologies_.find(name);
    if (it == topologies_.end()) it = topologies_.emplace(std::string(name), Topology{}).first;
    return it->second;
  }

  std::mutex mutex_;
  std::map<std::string, Topology, std::less<>> topologies_;
};

}  // namespace

std::shared_ptr<StateBackend> memory_backend() {
  static const auto backend = std::make_shared<MemoryBackend>();
  return backend;
}

}  // namespace gale::state
