#pragma once
// The shape of a running topology, computed once from the Topology and its Config: task ids,
// executors, streams and their subscribers. Immutable after construction; read by every
// executor thread without locks.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gale/config.h"
#include "gale/state.h"
#include "gale/topology.h"
#include "gale/tuple.h"

namespace gale::runtime {

inline constexpr const char* kAckerComponent = "__acker";
// The checkpoint coordinator's component (kCheckpointComponent, gale/state.h) and barrier
// stream (kBarrierStream) exist only in a topology that checkpoints (Layout::checkpointing).

struct Subscription {
  int component;  // index of the subscribing component in Layout::components
  Grouping grouping;
};

struct StreamInfo {
  detail::StreamSchema schema;
  std::vector<Subscription> subscribers;
};

struct ComponentInfo {
  std::string id;
  enum class Kind { spout, bolt, acker, checkpoint } kind = Kind::bolt;
  const ComponentDef* def = nullptr;  // null for the acker and the checkpoint coordinator
  Config config;                      // topology config merged with the component's own
  std::vector<int> tasks;             // sorted
  int executors = 1;
  std::vector<std::unique_ptr<StreamInfo>> streams;  // stable addresses: tuples point at schemas
  // Operator chaining: the component (index) whose executors may run this bolt's executors in
  // their own thread, as direct calls; -1 for none. Set when topology.chaining allows it, the
  // bolt's only input is that component through a grouping that keeps a tuple in the task
  // that made it (local_or_shuffle, none, one_to_one), and both have as many executors and
  // tasks. Executor k of this bolt is then chained to executor k of its input, task by task.
  int chain_input = -1;
  // With checkpoints: the stream barriers leave on (its last; to every task of every component
  // subscribed to any of its streams, all grouping), null when nothing subscribes; and the
  // tasks barriers come from (every task of every component it subscribes to but itself).
  const StreamInfo* barrier = nullptr;
  std::vector<int> barrier_inputs;
  bool stateful = false;  // a StatefulBolt

  const StreamInfo* stream(std::string_view id) const;
};

struct ExecutorInfo {
  int component;
  std::vector<int> tasks;
  int chain_parent = -1;  // the executor that runs this one when both are in one process
};

class Layout {
 public:
  // Throws InvalidTopology naming every problem (structure, names, parallelism vs config).
  // `executors` overrides components' executor counts (rebalance); tasks never change.
  Layout(std::string topology_name, const Topology& topology, const Config& config,
         const std::map<std::string, int, std::less<>>& executors = {});

  const std::string& topology_name() const { return name_; }
  const Config& config() const { return config_; }
  // The topology's own keys that may change while it runs (TopologyBuilder::declare_changeable).
  const std::vector<std::string>& changeable() const { return changeable_; }
  const std::vector<ComponentInfo>& components() const { return components_; }
  const ComponentInfo& component(int i) const { return components_[static_cast<std::size_t>(i)]; }
  int component_index(std::string_view id) const;
  const std::vector<ExecutorInfo>& executors() const { return executors_; }

  int task_count() const { return static_cast<int>(task_component_.size()) - 1; }  // tasks are 1..n
  int component_of_task(int task) const { return task_component_[static_cast<std::size_t>(task)]; }
  int executor_of_task(int task) const { return task_executor_[static_cast<std::size_t>(task)]; }
  bool acking() const { return !acker_tasks_.empty(); }
  // The acker task that tracks a tree: chosen by the root id (random, so evenly spread).
  int acker_for(std::uint64_t root) const { return acker_tasks_[root % acker_tasks_.size()]; }
  const std::vector<int>& acker_tasks() const { return acker_tasks_; }
  const detail::StreamSchema& tick_schema() const { return tick_schema_; }
  // Checkpoints on: a bolt is stateful and topology.state.checkpoint.interval.ms > 0.
  bool checkpointing() const { return checkpoint_task_ > 0; }
  // The checkpoint coordinator's task (0 without checkpoints).
  int checkpoint_task() const { return checkpoint_task_; }
  // topology.worker.cpus, parsed: the CPUs executor threads are pinned to in turn; empty: none.
  const std::vector<int>& worker_cpus() const { return worker_cpus_; }

 private:
  void add_component(const ComponentDef* def, int executors, std::vector<std::string>& errors);
  void add_acker(int executors);
  void wire_subscriptions();
  void add_checkpoints();
  // A loop of subscriptions ("a -> b -> a"), empty if there is none.
  std::string find_cycle() const;
  void find_chains();

  std::string name_;
  Config config_;
  std::vector<std::string> changeable_;
  std::vector<ComponentInfo> components_;
  std::map<std::string, int, std::less<>> component_index_;
  std::vector<ExecutorInfo> executors_;
  std::vector<int> task_component_{-1};  // index 0 unused
  std::vector<int> task_executor_{-1};
  std::vector<int> acker_tasks_;
  int checkpoint_task_ = 0;
  detail::StreamSchema tick_schema_;
  std::vector<int> worker_cpus_;
};

}  // namespace gale::runtime
