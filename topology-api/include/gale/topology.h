#pragma once
// Building a topology: components, their parallelism, and how bolts subscribe to streams.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gale/components.h"
#include "gale/config.h"
#include "gale/grouping.h"

namespace gale {

using SpoutFactory = std::function<std::unique_ptr<Spout>()>;
using BoltFactory = std::function<std::unique_ptr<Bolt>()>;
using BasicBoltFactory = std::function<std::unique_ptr<BasicBolt>()>;

struct InputDef {
  std::string component;
  std::string stream = kDefaultStream;
  Grouping grouping;
};

struct ComponentDef {
  enum class Kind { spout, bolt };
  std::string id;
  Kind kind = Kind::bolt;
  SpoutFactory spout;   // set for spouts
  BoltFactory bolt;     // set for bolts (a BasicBolt is adapted to a Bolt)
  int parallelism = 1;  // executors
  int num_tasks = 0;    // 0: one task per executor
  std::vector<InputDef> inputs;
  std::vector<StreamDeclaration> outputs;  // from declare_outputs, captured at build time
  Config config;                           // per-component overrides
  bool stateful = false;                   // a StatefulBolt (gale/state.h), found at build time

  int tasks() const { return num_tasks > 0 ? num_tasks : parallelism; }
};

// A built topology: what a packaged topology's entry point returns.
struct Topology {
  std::vector<ComponentDef> components;
  // The topology's own config keys that may change while it runs (gale/settings.h).
  std::vector<std::string> changeable;

  const ComponentDef* find(std::string_view id) const;
  const StreamDeclaration* find_stream(std::string_view component, std::string_view stream) const;
};

// Every structural problem of a topology, each naming what is wrong; empty when valid.
// Checks: names safe as paths; duplicate ids; parallelism and tasks; unknown components,
// streams and fields; spouts with inputs; direct/indirect grouping mismatches.
std::vector<std::string> validate(const Topology& topology);
// Checks a name that becomes a path or ZooKeeper node (topology name, component id): returns
// an error message, empty when the name is safe.
std::string check_name(std::string_view what, std::string_view name);

class ComponentDeclarer {
 public:
  explicit ComponentDeclarer(ComponentDef& def) : def_(&def) {}
  // Tasks (fixed for the topology's life); executors may later be rebalanced up to it.
  ComponentDeclarer& set_num_tasks(int n) {
    def_->num_tasks = n;
    return *this;
  }
  // Per-component configuration (tick frequency, max spout pending, debug). Checked by
  // Config's setter at build time.
  ComponentDeclarer& add_configuration(std::string_view key, const Value& value);
  ComponentDeclarer& set_debug(bool on) { return add_configuration(conf::kTopologyDebug, on); }
  ComponentDeclarer& set_max_spout_pending(int n) {
    return add_configuration(conf::kTopologyMaxSpoutPending, n);
  }

 protected:
  ComponentDef* def_;
  friend class TopologyBuilder;
  std::vector<std::string>* errors_ = nullptr;
};

using SpoutDeclarer = ComponentDeclarer;

class BoltDeclarer : public ComponentDeclarer {
 public:
  using ComponentDeclarer::ComponentDeclarer;

  BoltDeclarer& shuffle_grouping(std::string component, std::string stream = kDefaultStream) {
    return add(std::move(component), std::move(stream), {Grouping::Kind::shuffle, {}, {}});
  }
  BoltDeclarer& fields_grouping(std::string component, Fields fields) {
    return fields_grouping(std::move(component), kDefaultStream, std::move(fields));
  }
  BoltDeclarer& fields_grouping(std::string component, std::string stream, Fields fields) {
    return add(std::move(component), std::move(stream),
               {Grouping::Kind::fields, std::move(fields), {}});
  }
  BoltDeclarer& all_grouping(std::string component, std::string stream = kDefaultStream) {
    return add(std::move(component), std::move(stream), {Grouping::Kind::all, {}, {}});
  }
  BoltDeclarer& global_grouping(std::string component, std::string stream = kDefaultStream) {
    return add(std::move(component), std::move(stream), {Grouping::Kind::global, {}, {}});
  }
  BoltDeclarer& none_grouping(std::string component, std::string stream = kDefaultStream) {
    return add(std::move(component), std::move(stream), {Grouping::Kind::none, {}, {}});
  }
  BoltDeclarer& direct_grouping(std::string component, std::string stream = kDefaultStream) {
    return add(std::move(component), std::move(stream), {Grouping::Kind::direct, {}, {}});
  }
  BoltDeclarer& local_or_shuffle_grouping(std::string component,
                                          std::string stream = kDefaultStream) {
    return add(std::move(component), std::move(stream), {Grouping::Kind::local_or_shuffle, {}, {}});
  }
  // Task k of `component` to task k of this bolt: both need the same number of tasks. Keeps a
  // tuple in the task that made it, so the two run chained in one thread (topology.chaining).
  BoltDeclarer& one_to_one_grouping(std::string component, std::string stream = kDefaultStream) {
    return add(std::move(component), std::move(stream), {Grouping::Kind::one_to_one, {}, {}});
  }
  BoltDeclarer& partial_key_grouping(std::string component, Fields fields) {
    return partial_key_grouping(std::move(component), kDefaultStream, std::move(fields));
  }
  BoltDeclarer& partial_key_grouping(std::string component, std::string stream, Fields fields) {
    return add(std::move(component), std::move(stream),
               {Grouping::Kind::partial_key, std::move(fields), {}});
  }
  BoltDeclarer& custom_grouping(std::string component, std::string stream,
                                CustomGroupingFactory f) {
    return add(std::move(component), std::move(stream), {Grouping::Kind::custom, {}, std::move(f)});
  }
  BoltDeclarer& custom_grouping(std::string component, CustomGroupingFactory f) {
    return custom_grouping(std::move(component), kDefaultStream, std::move(f));
  }

  BoltDeclarer& set_num_tasks(int n) {
    ComponentDeclarer::set_num_tasks(n);
    return *this;
  }
  BoltDeclarer& add_configuration(std::string_view key, const Value& value) {
    ComponentDeclarer::add_configuration(key, value);
    return *this;
  }

 private:
  BoltDeclarer& add(std::string component, std::string stream, Grouping g) {
    def_->inputs.push_back({std::move(component), std::move(stream), std::move(g)});
    return *this;
  }
};

class TopologyBuilder {
 public:
  TopologyBuilder();
  ~TopologyBuilder();
  TopologyBuilder(const TopologyBuilder&) = delete;
  TopologyBuilder& operator=(const TopologyBuilder&) = delete;

  // `parallelism`: executors (threads) for the component. Declarers stay valid until build().
  SpoutDeclarer& set_spout(std::string id, SpoutFactory factory, int parallelism = 1);
  BoltDeclarer& set_bolt(std::string id, BoltFactory factory, int parallelism = 1);
  BoltDeclarer& set_bolt(std::string id, BasicBoltFactory factory, int parallelism = 1);

  // Keys of the topology's own config that its components re-read while it runs
  // (TopologyContext::settings()), so that `gale set` may change them without a restart.
  // A key that may not be declared (check_changeable_key) is reported by build().
  TopologyBuilder& declare_changeable(std::vector<std::string> keys);

  // Captures each component's declared outputs (one instance is created and asked) and
  // validates the whole. Throws InvalidTopology listing every problem.
  Topology build();

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<std::string> errors_;
  std::vector<std::string> changeable_;
};

// Wraps a BasicBolt as a Bolt: anchors its emits to the input, acks the input after execute
// returns, fails it on FailedException (or any exception, which is also reported).
std::unique_ptr<Bolt> adapt_basic_bolt(std::unique_ptr<BasicBolt> basic);

}  // namespace gale
