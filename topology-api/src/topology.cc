#include "gale/topology.h"

#include <algorithm>
#include <set>
#include <utility>

#include "gale/errors.h"
#include "gale/settings.h"
#include "gale/state.h"
#include "text.h"

namespace gale {
namespace {

using text::concat;
using text::quoted;

// Names become file paths and ZooKeeper nodes; this keeps them well inside every limit.
constexpr std::size_t kMaxNameLength = 128;

const char* kind_name(ComponentDef::Kind kind) {
  return kind == ComponentDef::Kind::spout ? "spout" : "bolt";
}

// "bolt 'count'"
std::string describe(const ComponentDef& c) {
  return concat(kind_name(c.kind), " ", quoted(c.id));
}

// "'split:default'"
std::string stream_ref(const InputDef& in) {
  return quoted(concat(in.component, ":", in.stream));
}

// ASCII only, whatever the locale: a name must mean the same file on every machine.
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// What is wrong with `name`, as the end of a sentence about it; empty when nothing is.
std::string name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxNameLength) {
    return concat("is too long: ", name.size(), " characters, at most ", kMaxNameLength,
                  " are allowed");
  }
  if (!std::all_of(name.begin(), name.end(), is_name_char)) {
    return "is not safe as a path: only letters, digits, '.', '_' and '-' are allowed";
  }
  if (name == "." || name.find("..") != std::string_view::npos) {
    return "is not safe as a path: it must not be '.' or contain '..'";
  }
  if (name.starts_with("__")) {
    return "starts with '__', which is reserved for system components and streams";
  }
  return {};
}

template <class T>
std::vector<std::string> ids_of(const std::vector<T>& items) {
  std::vector<std::string> ids;
  ids.reserve(items.size());
  for (const T& item : items) ids.push_back(item.id);
  return ids;
}

// Each name occurring more than once in `names`, reported once.
std::vector<std::string> duplicates(const std::vector<std::string>& names) {
  std::set<std::string_view> seen;
  std::set<std::string_view> reported;
  std::vector<std::string> repeated;
  for (const std::string& name : names) {
    if (!seen.insert(name).second && reported.insert(name).second) repeated.push_back(name);
  }
  return repeated;
}

bool groups_by_fields(Grouping::Kind kind) {
  return kind == Grouping::Kind::fields || kind == Grouping::Kind::partial_key;
}

// Collects every structural problem of one topology.
class Validator {
 public:
  explicit Validator(const Topology& topology) : topology_(topology) {}

  std::vector<std::string> run() && {
    check_has_spout();
    for (const std::string& id : duplicates(ids_of(topology_.components))) {
      report("component id ", quoted(id), " is used by more than one component");
    }
    for (const ComponentDef& c : topology_.components) check_component(c);
    return std::move(problems_);
  }

 private:
  template <class... Parts>
  void report(const Parts&... parts) {
    problems_.push_back(concat(parts...));
  }

  void check_has_spout() {
    const auto& all = topology_.components;
    auto is_spout = [](const ComponentDef& c) { return c.kind == ComponentDef::Kind::spout; };
    if (all.empty()) {
      report("topology has no components");
    } else if (std::none_of(all.begin(), all.end(), is_spout)) {
      report("topology has no spout");
    }
  }

  void check_component(const ComponentDef& c) {
    if (std::string problem = check_name("component id", c.id); !problem.empty()) report(problem);
    bool has_factory = c.kind == ComponentDef::Kind::spout ? bool(c.spout) : bool(c.bolt);
    if (!has_factory) report(describe(c), " has no factory");
    check_parallelism(c);
    check_outputs(c);
    if (c.kind == ComponentDef::Kind::bolt) {
      check_inputs(c);
    } else if (!c.inputs.empty()) {
      report(describe(c), " cannot have inputs");
    }
  }

  void check_parallelism(const ComponentDef& c) {
    if (c.parallelism <= 0) {
      report("component ", quoted(c.id), ": parallelism must be >= 1, got ", c.parallelism);
    }
    if (c.num_tasks < 0) {
      report("component ", quoted(c.id),
             ": number of tasks must be >= 0 (0: one per executor), got ", c.num_tasks);
    }
    if (c.num_tasks > 0 && c.num_tasks < c.parallelism) {
      report("component ", quoted(c.id), " has ", c.parallelism, " executors but only ",
             c.num_tasks, " tasks; executors cannot exceed tasks");
    }
  }

  void check_outputs(const ComponentDef& c) {
    for (const StreamDeclaration& s : c.outputs) {
      if (s.id == kDefaultStream) continue;
      if (std::string problem = check_name("stream id", s.id); !problem.empty()) {
        report("component ", quoted(c.id), ": ", problem);
      }
    }
    for (const std::string& id : duplicates(ids_of(c.outputs))) {
      report("component ", quoted(c.id), " declares stream ", quoted(id), " more than once");
    }
    for (const StreamDeclaration& s : c.outputs) {
      for (const std::string& field : duplicates(s.fields.names())) {
        report("stream ", quoted(concat(c.id, ":", s.id)), " declares field ", quoted(field),
               " more than once");
      }
    }
  }

  void check_inputs(const ComponentDef& bolt) {
    std::set<std::pair<std::string_view, std::string_view>> subscribed;
    for (const InputDef& in : bolt.inputs) {
      if (!subscribed.emplace(in.component, in.stream).second) {
        report(describe(bolt), " subscribes to ", stream_ref(in), " more than once");
      }
      check_input(bolt, in);
    }
  }

  void check_input(const ComponentDef& bolt, const InputDef& in) {
    const ComponentDef* source = topology_.find(in.component);
    if (source == nullptr) {
      report(describe(bolt), " subscribes to unknown component ", quoted(in.component));
      return;
    }
    const StreamDeclaration* stream = topology_.find_stream(in.component, in.stream);
    if (stream == nullptr) {
      std::string declared = source->outputs.empty()
                                 ? std::string("no streams")
                                 : concat("only ", Fields(ids_of(source->outputs)).to_string());
      report(describe(bolt), " subscribes to stream ", quoted(in.stream), " of ",
             quoted(in.component), ", which declares ", declared);
      return;
    }
    check_grouping(bolt, in, *stream);
  }

  void check_grouping(const ComponentDef& bolt, const InputDef& in,
                      const StreamDeclaration& stream) {
    const Grouping& g = in.grouping;
    const char* name = grouping_name(g.kind);
    if (g.kind == Grouping::Kind::direct && !stream.direct) {
      report(describe(bolt), " uses direct grouping on ", stream_ref(in),
             ", which is not declared direct");
    }
    if (g.kind != Grouping::Kind::direct && stream.direct) {
      report(describe(bolt), " uses ", name, " grouping on ", stream_ref(in),
             ", a direct stream that only direct grouping can subscribe to");
    }
    if (g.kind == Grouping::Kind::custom && !g.custom) {
      report(describe(bolt), " uses custom grouping on ", stream_ref(in), " without a factory");
    }
    if (groups_by_fields(g.kind)) check_grouping_fields(bolt, in, stream);
    const ComponentDef* source = topology_.find(in.component);
    if (g.kind == Grouping::Kind::one_to_one && source->tasks() != bolt.tasks()) {
      report(describe(bolt), " uses one_to_one grouping on ", stream_ref(in), ", but has ",
             std::to_string(bolt.tasks()), " tasks where ", quoted(in.component), " has ",
             std::to_string(source->tasks()), ": one_to_one needs the same number");
    }
  }

  void check_grouping_fields(const ComponentDef& bolt, const InputDef& in,
                             const StreamDeclaration& stream) {
    const char* name = grouping_name(in.grouping.kind);
    if (in.grouping.fields.empty()) {
      report(describe(bolt), " uses ", name, " grouping on ", stream_ref(in), " with no fields");
      return;
    }
    for (const std::string& field : in.grouping.fields.names()) {
      if (stream.fields.contains(field)) continue;
      report(describe(bolt), " groups ", stream_ref(in), " by field ", quoted(field),
             ", which is not one of ", stream.fields.to_string());
    }
  }

  const Topology& topology_;
  std::vector<std::string> problems_;
};

// Asks a fresh instance for its outputs. Returns what went wrong, empty on success; a missing
// factory is left to validate().
template <class Factory>
std::string declare_with(const Factory& factory, OutputDeclarer& declarer, bool& stateful) {
  if (!factory) return {};
  auto instance = factory();
  if (!instance) return "its factory returned null";
  instance->declare_outputs(declarer);
  stateful = dynamic_cast<const StatefulBolt*>(instance.get()) != nullptr;
  return {};
}

// Fills def.outputs: the runtime needs every stream's fields before any task runs, and only
// an instance knows them. Returns a problem naming the component, empty on success.
std::string capture_outputs(ComponentDef& def) {
  OutputDeclarer declarer;
  std::string problem;
  bool stateful = false;
  try {
    problem = def.kind == ComponentDef::Kind::spout ? declare_with(def.spout, declarer, stateful)
                                                    : declare_with(def.bolt, declarer, stateful);
  } catch (const std::exception& e) {
    problem = concat("creating it or declaring its outputs threw: ", e.what());
  } catch (...) {
    problem = "creating it or declaring its outputs threw a non-standard exception";
  }
  if (!problem.empty()) return concat(describe(def), ": ", problem);
  def.outputs = declarer.streams();
  def.stateful = stateful;
  return {};
}

std::string list_problems(const std::vector<std::string>& problems) {
  std::string message = "invalid topology:";
  for (const std::string& p : problems) message += concat("\n  - ", p);
  return message;
}

}  // namespace

const char* grouping_name(Grouping::Kind kind) {
  switch (kind) {
    case Grouping::Kind::shuffle:
      return "shuffle";
    case Grouping::Kind::fields:
      return "fields";
    case Grouping::Kind::all:
      return "all";
    case Grouping::Kind::global:
      return "global";
    case Grouping::Kind::none:
      return "none";
    case Grouping::Kind::direct:
      return "direct";
    case Grouping::Kind::local_or_shuffle:
      return "local_or_shuffle";
    case Grouping::Kind::partial_key:
      return "partial_key";
    case Grouping::Kind::custom:
      return "custom";
    case Grouping::Kind::one_to_one:
      return "one_to_one";
  }
  return "unknown";
}

const ComponentDef* Topology::find(std::string_view id) const {
  auto it = std::find_if(components.begin(), components.end(),
                         [&](const ComponentDef& c) { return c.id == id; });
  return it == components.end() ? nullptr : &*it;
}

const StreamDeclaration* Topology::find_stream(std::string_view component,
                                               std::string_view stream) const {
  const ComponentDef* c = find(component);
  if (c == nullptr) return nullptr;
  auto it = std::find_if(c->outputs.begin(), c->outputs.end(),
                         [&](const StreamDeclaration& s) { return s.id == stream; });
  return it == c->outputs.end() ? nullptr : &*it;
}

std::string check_name(std::string_view what, std::string_view name) {
  std::string problem = name_problem(name);
  if (problem.empty()) return {};
  return concat(what, " ", quoted(name), " ", problem);
}

std::vector<std::string> validate(const Topology& topology) {
  return Validator(topology).run();
}

ComponentDeclarer& ComponentDeclarer::add_configuration(std::string_view key, const Value& value) {
  std::string problem;
  const ConfigKey* spec = Config::find_key(key);
  if (spec != nullptr && !spec->per_component) {
    problem = concat("component ", quoted(def_->id), ": ", quoted(key),
                     " applies to the whole topology and cannot be set per component");
  } else if (ConfigResult r = def_->config.set_value(key, value); !r) {
    problem = concat("component ", quoted(def_->id), ": ", r.message);
  }
  if (problem.empty()) return *this;
  if (errors_ == nullptr) throw InvalidTopology(problem);
  errors_->push_back(std::move(problem));
  return *this;
}

// A component's definition and the declarer the user configures it through; held by pointer
// so that declarers keep their address while more components are added.
struct TopologyBuilder::Entry {
  Entry(ComponentDef d, std::vector<std::string>* errors) : def(std::move(d)), declarer(def) {
    declarer.errors_ = errors;
  }
  ComponentDef def;
  BoltDeclarer declarer;  // a spout's is used through its SpoutDeclarer base
};

TopologyBuilder::TopologyBuilder() = default;
TopologyBuilder::~TopologyBuilder() = default;

SpoutDeclarer& TopologyBuilder::set_spout(std::string id, SpoutFactory factory, int parallelism) {
  ComponentDef def;
  def.id = std::move(id);
  def.kind = ComponentDef::Kind::spout;
  def.spout = std::move(factory);
  def.parallelism = parallelism;
  return entries_.emplace_back(std::make_unique<Entry>(std::move(def), &errors_))->declarer;
}

BoltDeclarer& TopologyBuilder::set_bolt(std::string id, BoltFactory factory, int parallelism) {
  ComponentDef def;
  def.id = std::move(id);
  def.kind = ComponentDef::Kind::bolt;
  def.bolt = std::move(factory);
  def.parallelism = parallelism;
  return entries_.emplace_back(std::make_unique<Entry>(std::move(def), &errors_))->declarer;
}

BoltDeclarer& TopologyBuilder::set_bolt(std::string id, BasicBoltFactory factory, int parallelism) {
  BoltFactory adapted;
  if (factory) adapted = [basic = std::move(factory)] { return adapt_basic_bolt(basic()); };
  return set_bolt(std::move(id), std::move(adapted), parallelism);
}

TopologyBuilder& TopologyBuilder::declare_changeable(std::vector<std::string> keys) {
  for (auto& key : keys) {
    if (std::string problem = check_changeable_key(key); !problem.empty())
      errors_.push_back(std::move(problem));
    else if (std::find(changeable_.begin(), changeable_.end(), key) == changeable_.end())
      changeable_.push_back(std::move(key));
  }
  return *this;
}

Topology TopologyBuilder::build() {
  Topology topology;
  topology.changeable = changeable_;
  std::vector<std::string> problems = errors_;
  if (changeable_.size() > kMaxChangeable)
    problems.push_back("more than " + std::to_string(kMaxChangeable) + " changeable keys declared");
  for (const auto& entry : entries_) {
    if (std::string problem = capture_outputs(entry->def); !problem.empty()) {
      problems.push_back(std::move(problem));
    }
    topology.components.push_back(entry->def);
  }
  std::vector<std::string> structural = validate(topology);
  problems.insert(problems.end(), structural.begin(), structural.end());
  if (!problems.empty()) throw InvalidTopology(list_problems(problems));
  return topology;
}

}  // namespace gale
