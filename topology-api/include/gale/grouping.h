#pragma once
// How a stream's tuples are divided among the tasks of a subscribing bolt.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gale/context.h"
#include "gale/value.h"

namespace gale {

// A grouping of the user's own. One instance per emitting executor, called only from that
// executor's thread.
class CustomStreamGrouping {
 public:
  virtual ~CustomStreamGrouping() = default;
  // target_tasks: the sorted tasks of the subscribing component.
  virtual void prepare(const TopologyContext& context, const std::string& source_component,
                       const std::string& stream, const std::vector<int>& target_tasks) = 0;
  // Append the chosen target tasks (each one of target_tasks) to `out`. Must not block.
  virtual void choose_tasks(int source_task, const Values& values, std::vector<int>& out) = 0;
};

using CustomGroupingFactory = std::function<std::unique_ptr<CustomStreamGrouping>()>;

struct Grouping {
  enum class Kind {
    shuffle,
    fields,
    all,
    global,
    none,
    direct,
    local_or_shuffle,
    partial_key,
    custom,
    one_to_one  // task k of the source to task k of the subscriber (Flink's forward)
  };
  Kind kind = Kind::shuffle;
  Fields fields;                 // fields and partial_key
  CustomGroupingFactory custom;  // custom
};

const char* grouping_name(Grouping::Kind kind);

}  // namespace gale
