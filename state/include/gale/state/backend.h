#pragma once
// Where checkpoints live: every task's parts, which checkpoints completed, and their records.
// A backend is shared by every executor and the state writer of a worker: every method is
// thread-safe. Implementations: the in-memory one (local mode, tests; one per process, shared by
// every Runtime in it) and Redis (the cluster's; state/README.md).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/common/result.h"
#include "gale/config.h"
#include "gale/state.h"
#include "gale/state/errc.h"
#include "gale/state/part.h"

namespace gale::state {

struct StoredPart {
  int task = 0;
  std::uint64_t bytes = 0;
};

// A completed checkpoint, as gale status and the API show it.
struct CheckpointRecord {
  CheckpointId id = 0;
  std::int64_t triggered_ms = 0;  // Unix time
  std::int64_t duration_ms = 0;   // from trigger to the last part stored
  std::uint64_t bytes = 0;        // written for it, every part
  std::vector<StoredPart> parts;  // by task
};

using PartKey = std::pair<int, CheckpointId>;  // (task, checkpoint)

class StateBackend {
 public:
  virtual ~StateBackend() = default;

  // Records that checkpoint `id` started (the highest id begun is never reused).
  virtual Status begin(std::string_view topology, CheckpointId id) = 0;
  virtual Result<CheckpointId> last_begun(std::string_view topology) = 0;
  virtual Status write_part(std::string_view topology, CheckpointId id, int task,
                            std::string bytes) = 0;
  // The parts stored for checkpoint `id` so far.
  virtual Result<std::vector<StoredPart>> stored(std::string_view topology, CheckpointId id) = 0;
  virtual Result<std::optional<std::string>> read_part(std::string_view topology, CheckpointId id,
                                                       int task) = 0;
  // The first `n` bytes of a part (fewer if it is shorter), nullopt if there is none.
  virtual Result<std::optional<std::string>> read_part_head(std::string_view topology,
                                                            CheckpointId id, int task,
                                                            std::size_t n) = 0;
  // Raises the topology's fence to `epoch` (an assignment epoch; never lowered). A worker
  // starting in a new epoch raises it before it reads which checkpoint to restore, so that no
  // coordinator of an earlier epoch completes a checkpoint after that.
  virtual Status fence(std::string_view topology, std::uint64_t epoch) = 0;
  // The commit point of checkpoint record.id: from now on recovery restores it. StateErrc::fenced
  // (and nothing recorded) when the fence is above `epoch`, the coordinator's.
  virtual Status complete(std::string_view topology, const CheckpointRecord& record,
                          std::uint64_t epoch) = 0;
  // Completed checkpoints still kept, oldest first.
  virtual Result<std::vector<CheckpointRecord>> completed(std::string_view topology) = 0;
  // The records of the last `limit` checkpoints completed (at most kHistoryLength), newest
  // first: kept apart from the checkpoints, which garbage collection removes.
  static constexpr std::size_t kHistoryLength = 1000;
  virtual Result<std::vector<CheckpointRecord>> history(std::string_view topology,
                                                        std::size_t limit) = 0;
  virtual Result<std::vector<PartKey>> parts(std::string_view topology) = 0;
  virtual Status remove(std::string_view topology, std::span<const PartKey> parts,
                        std::span<const CheckpointId> records) = 0;
  // Deletes everything stored for the topology (when it is killed): parts, records, history,
  // fence. Savepoints taken of it are namespaces of their own and stay.
  virtual Status drop(std::string_view topology) = 0;
};

// The backend topology.state.backend names ("auto": redis when `cluster`, memory otherwise);
// StateErrc::bad_config naming the key otherwise.
Result<std::shared_ptr<StateBackend>> make_backend(const Config& config, bool cluster);

// The process's in-memory backend (local mode, tests): every Runtime of the process shares it,
// so a topology restarted in the same process recovers from it.
std::shared_ptr<StateBackend> memory_backend();

// Task `task`'s state as of complete checkpoint `id`: its chain of parts read back to the last
// full one and replayed.
Result<RestoredTask> read_task(StateBackend& backend, std::string_view topology, CheckpointId id,
                               int task);
// read_task, checking `component`, the task's component now: StateErrc::incompatible when the
// checkpoint's task `task` belonged to another (the topology's components changed).
Result<RestoredTask> restore_task(StateBackend& backend, std::string_view topology, CheckpointId id,
                                  int task, std::string_view component);

// Keeps the newest `retain` completed checkpoints and every part their chains need; removes
// older records and every other part up to the newest completed id (parts of checkpoints still
// in flight stay).
Status collect_garbage(StateBackend& backend, std::string_view topology, int retain);

}  // namespace gale::state
