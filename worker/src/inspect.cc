#include "inspect.h"

#include "gale/errors.h"
#include "gale/runtime/layout.h"
#include "gale/runtime/topology_loader.h"

namespace gale::worker {

namespace {

const char* kind_name(runtime::ComponentInfo::Kind kind) {
  switch (kind) {
    case runtime::ComponentInfo::Kind::spout:
      return "spout";
    case runtime::ComponentInfo::Kind::bolt:
      return "bolt";
    case runtime::ComponentInfo::Kind::acker:
      return "acker";
    case runtime::ComponentInfo::Kind::checkpoint:
      return "checkpoint";
  }
  return "?";
}

nlohmann::json describe(const runtime::Layout& layout, const std::string& name) {
  nlohmann::json components = nlohmann::json::array();
  for (int c = 0; c < static_cast<int>(layout.components().size()); ++c) {
    const auto& info = layout.component(c);
    nlohmann::json executors = nlohmann::json::array();
    for (const auto& e : layout.executors()) {
      if (e.component != c) continue;
      nlohmann::json range = {e.tasks.front(), e.tasks.back()};
      // Chained into another executor: the scheduler keeps the two in one worker.
      if (e.chain_parent >= 0)
        range.push_back(layout.executors()[static_cast<std::size_t>(e.chain_parent)].tasks.front());
      executors.push_back(std::move(range));
    }
    // The streams to the components of the topology (not the acker's or the checkpoints'): the
    // edges the console draws.
    nlohmann::json outputs = nlohmann::json::array();
    for (const auto& s : info.streams)
      for (const auto& sub : s->subscribers) {
        const auto& to = layout.component(sub.component);
        if (to.kind == runtime::ComponentInfo::Kind::acker ||
            to.kind == runtime::ComponentInfo::Kind::checkpoint || !to.def || !info.def)
          continue;
        outputs.push_back({{"stream", s->schema.stream},
                           {"to", to.id},
                           {"grouping", grouping_name(sub.grouping.kind)}});
      }
    components.push_back({{"id", info.id},
                          {"kind", kind_name(info.kind)},
                          {"tasks", info.tasks},
                          {"executors", executors},
                          {"outputs", outputs}});
  }
  return {{"name", name},
          {"tasks", layout.task_count()},
          {"components", components},
          {"changeable", layout.changeable()}};
}

}  // namespace

Result<nlohmann::json> inspect_topology(const std::string& artifact, const Config& conf,
                                        const std::map<std::string, int, std::less<>>& executors) {
  auto loaded = runtime::load_topology(artifact, conf);
  if (!loaded) return loaded.error();
  auto& topo = loaded.value();
  std::string name =
      conf.contains(conf::kTopologyName) ? conf.get_string(conf::kTopologyName) : topo.name;
  try {
    runtime::Layout layout(name, topo.topology, conf, executors);
    // Checkpoints must outlive a worker and reach every worker of the topology.
    const std::string backend = conf.get_string(conf::kTopologyStateBackend);
    if (layout.checkpointing() && backend != "auto" && backend != "redis")
      return make_error(
          runtime::RuntimeErrc::invalid_topology,
          "topology '" + name + "' has stateful bolts but " + conf::kTopologyStateBackend +
              " is '" + conf.get_string(conf::kTopologyStateBackend) +
              "': on the cluster, checkpoints need a store every worker reaches and "
              "that outlives them; set it to redis or auto (and redis.host/redis.port)");
    if (layout.checkpointing() && !conf.contains("redis.host"))
      return make_error(runtime::RuntimeErrc::invalid_topology,
                        "topology '" + name +
                            "' has stateful bolts: set redis.host (and redis.port) to the Redis "
                            "server that keeps its checkpoints; every worker must reach the same "
                            "one (without it each would use its own host's)");
    return describe(layout, topo.name);
  } catch (const InvalidTopology& e) {
    return make_error(runtime::RuntimeErrc::invalid_topology, e.what());
  }
}

}  // namespace gale::worker
