#pragma once
// Savepoints: a named copy of one complete checkpoint, kept until deleted, from which a new
// topology (a new version of the code, say) starts: `gale savepoint`, `gale submit
// --from-savepoint` (docs/STATE.md, "Savepoints"). In a backend a savepoint is a namespace of
// its own, "savepoint:<name>" (no topology id holds ':'), with one complete checkpoint: every
// task's chain flattened into one full part, and a manifest as the part of task 0.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "gale/common/result.h"
#include "gale/state/backend.h"

namespace gale::state {

struct SavepointInfo {
  std::string name;
  std::string topology_id;    // the topology it was taken from
  std::string topology_name;  // ... and its name
  std::string owner;          // that topology's owner
  std::string taken_by;       // the principal who took it
  CheckpointId checkpoint = 0;
  std::int64_t created_ms = 0;  // Unix time
  std::uint64_t bytes = 0;
  std::map<int, std::string> tasks;  // task -> its component
};

// The backend namespace (the `topology` argument of StateBackend) of savepoint `name`.
std::string savepoint_namespace(std::string_view name);

// Copies the last complete checkpoint of `info.topology_id` into savepoint `info.name`, filling
// in the rest of `info`. StateErrc::exists when the name is taken, StateErrc::not_found when the
// topology has no complete checkpoint yet. Names are the caller's to validate.
Result<SavepointInfo> take_savepoint(StateBackend& backend, SavepointInfo info);

// Savepoint `name`'s manifest; StateErrc::not_found when there is none.
Result<SavepointInfo> find_savepoint(StateBackend& backend, std::string_view name);

// Whether a topology whose tasks are `tasks` (task -> component) may start from `savepoint`:
// every task it holds is a task of the same component. StateErrc::incompatible naming the first
// that is not. (Each state's type is checked when the task declares it.)
Status check_savepoint_tasks(const SavepointInfo& savepoint,
                             const std::map<int, std::string>& tasks);

}  // namespace gale::state
