#pragma once
// `gale-worker inspect`: load and validate a packaged topology in this (throw-away) process and
// describe its layout as JSON, for Nimbus. See docs/CLUSTER.md.
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "gale/common/result.h"
#include "gale/config.h"

namespace gale::worker {

// The layout as JSON ({"name", "tasks", "components": [{"id","kind","tasks","executors"}]}),
// or an error (runtime::RuntimeErrc) whose message names the problem.
Result<nlohmann::json> inspect_topology(const std::string& artifact, const Config& conf,
                                        const std::map<std::string, int, std::less<>>& executors);

}  // namespace gale::worker
