#pragma once
// What `gale-worker inspect` reports about a packaged topology (docs/CLUSTER.md), and the
// Inspector that runs it in a child process so that a crashing .so cannot take Nimbus down.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gale/coordination/records.h"
#include "gale/nimbus/errors.h"

namespace gale::nimbus {

struct ComponentLayout {
  std::string id;
  std::string kind;  // spout, bolt or acker
  std::vector<int> tasks;
  std::vector<coordination::Executor> executors;
  // Its streams to the topology's other components: [{"stream", "to", "grouping"}].
  nlohmann::json outputs = nlohmann::json::array();
};

struct TopologyLayout {
  std::string name;
  int tasks = 0;
  std::vector<ComponentLayout> components;
  std::vector<std::string> changeable = {};  // its own keys that may change while it runs

  // Every component's executors, in component order.
  std::vector<coordination::Executor> executors() const;
  // {"components": [{"id", "kind"}], "edges": [{"from", "stream", "to", "grouping"}]}: what the
  // console draws (the acker and the checkpoint coordinator left out).
  nlohmann::json graph() const;
};

struct InspectRequest {
  std::filesystem::path artifact;
  std::map<std::string, std::string> config;      // -c key=value
  std::map<std::string, int> executor_overrides;  // -e component=executors
};

// bad_request with the inspector's one-line message if the topology is refused (or crashed
// or hung the inspector); internal if the inspector cannot be run or prints malformed output.
// Called from any thread; blocks for as long as the inspection.
using Inspector = std::function<Result<TopologyLayout>(const InspectRequest&)>;

// An Inspector running `<worker_binary> inspect ...`, killed after `timeout`.
Inspector process_inspector(std::filesystem::path worker_binary, std::chrono::milliseconds timeout);

// Parses inspect's JSON output; internal naming the problem if malformed.
Result<TopologyLayout> parse_layout(const std::string& json);

}  // namespace gale::nimbus
