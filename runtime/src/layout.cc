#include "gale/runtime/layout.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "gale/errors.h"

namespace gale::runtime {

const StreamInfo* ComponentInfo::stream(std::string_view id) const {
  for (const auto& s : streams)
    if (s->schema.stream == id) return s.get();
  return nullptr;
}

namespace {

std::string join_errors(const std::vector<std::string>& errors) {
  std::string msg = "invalid topology:";
  for (const auto& e : errors) msg += "\n  - " + e;
  return msg;
}

// Linux CPU list syntax ("0-3,6"): the CPUs in order; an error naming the key otherwise.
std::vector<int> parse_cpu_list(const std::string& text, std::vector<std::string>& errors) {
  constexpr int kMaxCpu = 1023;
  std::vector<int> cpus;
  auto bad = [&](const std::string& why) {
    errors.push_back(std::string(conf::kTopologyWorkerCpus) + " '" + text + "': " + why);
    return std::vector<int>{};
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(pos, end - pos);
    pos = end + 1;
    int first = 0, last = 0;
    char dash = 0, extra = 0;
    int n = std::sscanf(part.c_str(), "%d%c%d%c", &first, &dash, &last, &extra);
    if (n == 1) {
      last = first;
    } else if (n != 3 || dash != '-') {
      return bad("expected CPU numbers and ranges such as 0-3,6, found '" + part + "'");
    }
    if (first < 0 || last > kMaxCpu || first > last)
      return bad("range '" + part + "' is not within 0.." + std::to_string(kMaxCpu));
    for (int c = first; c <= last; ++c) cpus.push_back(c);
  }
  return cpus;
}

}  // namespace

Layout::Layout(std::string topology_name, const Topology& topology, const Config& config,
               const std::map<std::string, int, std::less<>>& executors)
    : name_(std::move(topology_name)), config_(config), changeable_(topology.changeable) {
  std::vector<std::string> errors = validate(topology);
  if (auto e = check_name("topology name", name_); !e.empty()) errors.push_back(e);
  worker_cpus_ = parse_cpu_list(config_.get_string(conf::kTopologyWorkerCpus), errors);
  if (!errors.empty()) throw InvalidTopology(join_errors(errors));

  // Storm numbers tasks by component id order; the acker comes last here.
  std::vector<const ComponentDef*> defs;
  for (const auto& c : topology.components) defs.push_back(&c);
  std::sort(defs.begin(), defs.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const auto& [id, n] : executors) {
    if (!topology.find(id)) errors.push_back("executors given for unknown component '" + id + "'");
    if (n < 1)
      errors.push_back("component '" + id + "': executors must be >= 1, got " + std::to_string(n));
  }
  if (!errors.empty()) throw InvalidTopology(join_errors(errors));
  for (const auto* def : defs) {
    auto it = executors.find(def->id);
    add_component(def, it != executors.end() ? it->second : def->parallelism, errors);
  }
  if (!errors.empty()) throw InvalidTopology(join_errors(errors));

  std::int64_t ackers = config_.contains(conf::kTopologyAckerExecutors)
                            ? config_.get_int(conf::kTopologyAckerExecutors)
                            : config_.get_int(conf::kTopologyWorkers);
  if (ackers > 0) add_acker(static_cast<int>(ackers));
  wire_subscriptions();
  add_checkpoints();
  find_chains();

  tick_schema_.component = kSystemComponent;
  tick_schema_.stream = kTickStream;
  tick_schema_.fields = Fields{"rate_secs"};
}

int Layout::component_index(std::string_view id) const {
  auto it = component_index_.find(id);
  return it == component_index_.end() ? -1 : it->second;
}

void Layout::add_component(const ComponentDef* def, int executors,
                           std::vector<std::string>& errors) {
  ComponentInfo info;
  info.id = def->id;
  info.kind = def->kind == ComponentDef::Kind::spout ? ComponentInfo::Kind::spout
                                                     : ComponentInfo::Kind::bolt;
  info.def = def;
  info.stateful = def->stateful;
  info.config = config_.merged(def->config);
  info.executors = executors;
  if (auto cap = config_.get_int(conf::kTopologyMaxTaskParallelism, 0); cap > 0)
    info.executors = std::min<int>(info.executors, static_cast<int>(cap));
  int tasks = def->tasks();
  if (info.executors > tasks) {
    errors.push_back("component '" + def->id + "' has " + std::to_string(info.executors) +
                     " executors but only " + std::to_string(tasks) +
                     " tasks; executors cannot exceed tasks");
    return;
  }
  int index = static_cast<int>(components_.size());
  for (int t = 0; t < tasks; ++t) {
    info.tasks.push_back(static_cast<int>(task_component_.size()));
    task_component_.push_back(index);
    task_executor_.push_back(-1);
  }
  // Tasks are split evenly over the executors, the first executors taking one extra.
  int begin = 0;
  for (int e = 0; e < info.executors; ++e) {
    int n = tasks / info.executors + (e < tasks % info.executors ? 1 : 0);
    ExecutorInfo exec{index, {}, -1};
    for (int t = begin; t < begin + n; ++t) {
      exec.tasks.push_back(info.tasks[static_cast<std::size_t>(t)]);
      task_executor_[static_cast<std::size_t>(info.tasks[static_cast<std::size_t>(t)])] =
          static_cast<int>(executors_.size());
    }
    begin += n;
    executors_.push_back(std::move(exec));
  }
  int stream_index = 0;
  for (const auto& decl : def->outputs) {
    auto s = std::make_unique<StreamInfo>();
    s->schema = {def->id, decl.id, decl.fields, decl.direct, stream_index++};
    info.streams.push_back(std::move(s));
  }
  component_index_[info.id] = index;
  components_.push_back(std::move(info));
}

void Layout::add_acker(int executors) {
  // The acker is not a user component: it gets tasks and executors directly.
  ComponentInfo info;
  info.id = kAckerComponent;
  info.kind = ComponentInfo::Kind::acker;
  info.config = config_;
  info.executors = executors;
  int index = static_cast<int>(components_.size());
  for (int e = 0; e < executors; ++e) {
    int task = static_cast<int>(task_component_.size());
    info.tasks.push_back(task);
    acker_tasks_.push_back(task);
    task_component_.push_back(index);
    task_executor_.push_back(static_cast<int>(executors_.size()));
    executors_.push_back({index, {task}, -1});
  }
  component_index_[info.id] = index;
  components_.push_back(std::move(info));
}

std::string Layout::find_cycle() const {
  // Depth-first over subscriptions: 0 unvisited, 1 on the current path, 2 done.
  std::vector<int> mark(components_.size(), 0);
  std::vector<int> path;
  std::string found;
  std::function<bool(int)> visit = [&](int c) {
    mark[static_cast<std::size_t>(c)] = 1;
    path.push_back(c);
    for (const auto& s : components_[static_cast<std::size_t>(c)].streams) {
      for (const auto& sub : s->subscribers) {
        int next = sub.component;
        if (mark[static_cast<std::size_t>(next)] == 1) {
          auto from = std::find(path.begin(), path.end(), next);
          for (auto it = from; it != path.end(); ++it)
            found += components_[static_cast<std::size_t>(*it)].id + " -> ";
          found += components_[static_cast<std::size_t>(next)].id;
          return true;
        }
        if (mark[static_cast<std::size_t>(next)] == 0 && visit(next)) return true;
      }
    }
    path.pop_back();
    mark[static_cast<std::size_t>(c)] = 2;
    return false;
  };
  for (std::size_t c = 0; c < components_.size(); ++c)
    if (mark[c] == 0 && visit(static_cast<int>(c))) break;
  return found;
}

void Layout::add_checkpoints() {
  bool stateful = std::any_of(components_.begin(), components_.end(),
                              [](const ComponentInfo& c) { return c.stateful; });
  if (!stateful || config_.get_int(conf::kTopologyStateCheckpointIntervalMs) <= 0) return;
  // A spout's part waits for the trees it emitted before the barrier: one never timed out
  // would hold every later checkpoint back.
  if (acking() && !config_.get_bool(conf::kTopologyEnableMessageTimeouts))
    throw InvalidTopology(join_errors(
        {"stateful topologies need topology.enable.message.timeouts: a lost tuple tree would "
         "hold every checkpoint back"}));
  // Barriers cannot be aligned around a cycle (each bolt would wait for the other's), and a
  // tuple a bolt sends itself after a barrier would be counted before it: refused.
  if (auto cycle = find_cycle(); !cycle.empty())
    throw InvalidTopology(join_errors(
        {"stateful topologies must not loop (checkpoint barriers cannot be aligned around a "
         "cycle): " +
         cycle}));
  // Barriers: from each component to every task of every component subscribed to any of its
  // streams (a self-subscription excepted: a barrier never waits on itself).
  for (std::size_t i = 0; i < components_.size(); ++i) {
    ComponentInfo& source = components_[i];
    std::vector<int> subscribers;
    for (const auto& s : source.streams)
      for (const auto& sub : s->subscribers)
        if (sub.component != static_cast<int>(i) &&
            std::find(subscribers.begin(), subscribers.end(), sub.component) == subscribers.end())
          subscribers.push_back(sub.component);
    if (subscribers.empty()) continue;
    auto barrier = std::make_unique<StreamInfo>();
    barrier->schema = {source.id, kBarrierStream, Fields{"checkpoint"}, false,
                       static_cast<int>(source.streams.size())};
    for (int c : subscribers) {
      barrier->subscribers.push_back({c, {Grouping::Kind::all, {}, {}}});
      auto& inputs = components_[static_cast<std::size_t>(c)].barrier_inputs;
      inputs.insert(inputs.end(), source.tasks.begin(), source.tasks.end());
    }
    source.barrier = barrier.get();
    source.streams.push_back(std::move(barrier));
  }
  for (auto& c : components_) std::sort(c.barrier_inputs.begin(), c.barrier_inputs.end());
  // The coordinator: one task, one executor, placed like an acker.
  ComponentInfo info;
  info.id = kCheckpointComponent;
  info.kind = ComponentInfo::Kind::checkpoint;
  info.config = config_;
  int index = static_cast<int>(components_.size());
  checkpoint_task_ = static_cast<int>(task_component_.size());
  info.tasks.push_back(checkpoint_task_);
  task_component_.push_back(index);
  task_executor_.push_back(static_cast<int>(executors_.size()));
  executors_.push_back({index, {checkpoint_task_}, -1});
  component_index_[info.id] = index;
  components_.push_back(std::move(info));
}

void Layout::wire_subscriptions() {
  for (std::size_t i = 0; i < components_.size(); ++i) {
    const ComponentInfo& sub = components_[i];
    if (!sub.def) continue;
    for (const auto& input : sub.def->inputs) {
      auto& source = components_[static_cast<std::size_t>(component_index(input.component))];
      for (auto& s : source.streams) {
        if (s->schema.stream == input.stream)
          s->subscribers.push_back({static_cast<int>(i), input.grouping});
      }
    }
  }
}

}  // namespace gale::runtime

namespace gale::runtime {

namespace {

bool keeps_tuple_in_task(Grouping::Kind kind) {
  return kind == Grouping::Kind::local_or_shuffle || kind == Grouping::Kind::none ||
         kind == Grouping::Kind::one_to_one;
}

}  // namespace

void Layout::find_chains() {
  for (auto& bolt : components_) {
    if (bolt.kind != ComponentInfo::Kind::bolt || bolt.def->inputs.size() != 1) continue;
    if (!bolt.config.get_bool(conf::kTopologyChaining)) continue;
    const InputDef& in = bolt.def->inputs.front();
    if (!keeps_tuple_in_task(in.grouping.kind)) continue;
    int source = component_index(in.component);
    const ComponentInfo& from = components_[static_cast<std::size_t>(source)];
    if (&from == &bolt || from.kind == ComponentInfo::Kind::acker) continue;
    if (from.executors != bolt.executors || from.tasks.size() != bolt.tasks.size()) continue;
    bolt.chain_input = source;
  }
  // A cycle of bolts each fed only by the previous one (no spout feeds it) is not chained.
  const std::size_t n = components_.size();
  for (auto& c : components_) {
    int x = c.chain_input;
    for (std::size_t steps = 0; x >= 0 && steps < n; ++steps)
      x = components_[static_cast<std::size_t>(x)].chain_input;
    if (x >= 0) c.chain_input = -1;
  }
  // Executor k of a chained bolt goes with executor k of its input.
  std::vector<std::vector<int>> by_component(components_.size());
  for (std::size_t e = 0; e < executors_.size(); ++e)
    by_component[static_cast<std::size_t>(executors_[e].component)].push_back(static_cast<int>(e));
  for (std::size_t c = 0; c < components_.size(); ++c) {
    int input = components_[c].chain_input;
    if (input < 0) continue;
    const auto& mine = by_component[c];
    const auto& theirs = by_component[static_cast<std::size_t>(input)];
    for (std::size_t k = 0; k < mine.size(); ++k)
      executors_[static_cast<std::size_t>(mine[k])].chain_parent = theirs[k];
  }
}

}  // namespace gale::runtime
