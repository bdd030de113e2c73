#include "inspect.h"

#include "gale/errors.h"
#include "gale/worker/topology_loader.h"
#include "gale/worker/layout.h"

namespace gale::cluster {

namespace {

const char* kind_name(worker::ComponentInfo::Kind kind) {
  switch (kind) {
    case worker::ComponentInfo::Kind::spout: return "spout";
    case worker::ComponentInfo::Kind::bolt: return "bolt";
    case worker::ComponentInfo::Kind::acker: return "acker";
  }
  return "?";
}

nlohmann::json describe(const worker::Layout& layout, const std::string& name) {
  nlohmann::json components = nlohmann::json::array();
  for (int c = 0; c < static_cast<int>(layout.components().size()); ++c) {
    const auto& info = layout.component(c);
    nlohmann::json executors = nlohmann::json::array();
    for (const auto& e : layout.executors())
      if (e.component == c) executors.push_back({e.tasks.front(), e.tasks.back()});
    components.push_back(
        {{"id", info.id}, {"kind", kind_name(info.kind)}, {"tasks", info.tasks}, {"executors", executors}});
  }
  return {{"name", name}, {"tasks", layout.task_count()}, {"components", components}};
}

}  // namespace

std::variant<nlohmann::json, std::string> inspect_topology(
    const std::string& artifact, const Config& conf,
    const std::map<std::string, int, std::less<>>& executors) {
  auto loaded = worker::load_topology(artifact, conf);
  if (auto* error = std::get_if<std::string>(&loaded)) return *error;
  auto& topo = std::get<worker::LoadedTopology>(loaded);
  std::string name = conf.contains(conf::kTopologyName) ? conf.get_string(conf::kTopologyName) : topo.name;
  try {
    worker::Layout layout(name, topo.topology, conf, executors);
    return describe(layout, topo.name);
  } catch (const InvalidTopology& e) {
    return std::string(e.what());
  }
}

}  // namespace gale::cluster
