#pragma once
// Groupings as strategies, named as in Storm (ShuffleGrouping, FieldsGrouping, ...): one
// StreamGrouping per (emitting executor, stream, subscriber), made
// by one factory. Each belongs to its executor's thread and may keep state (round-robin
// position, partial-key loads) without locks.
#include <memory>
#include <string>
#include <vector>

#include "gale/context.h"
#include "gale/grouping.h"
#include "gale/value.h"

namespace gale::runtime {

class StreamGrouping {
 public:
  virtual ~StreamGrouping() = default;
  // Appends the chosen target tasks to `out`.
  virtual void choose(int source_task, const Values& values, std::vector<int>& out) = 0;
};

struct GroupingSpec {
  const Grouping* grouping;
  const std::string* source_component;
  const std::string* stream;
  const Fields* stream_fields;
  const std::vector<int>* source_tasks;  // sorted tasks of the emitting component
  const std::vector<int>* targets;       // sorted tasks of the subscriber
  const std::vector<int>* worker_tasks;  // tasks in this worker process
  const TopologyContext* context;        // for custom groupings
  std::uint64_t seed;                    // varies the starting point per executor
  // The subscriber runs chained in the emitting executor (Layout::chain_input): each task
  // sends to its partner there, whatever the grouping says (it allows that choice).
  bool chained = false;
};

// Null for direct grouping: direct emits name their task.
std::unique_ptr<StreamGrouping> make_grouping(const GroupingSpec& spec);

// The hash that fields and partial-key grouping apply to the selected values.
std::uint64_t hash_fields(const Values& values, const std::vector<std::size_t>& indices);

}  // namespace gale::runtime
