#pragma once
// Loading a packaged topology (.so): dlopen, the entry point, the API version, the build.
#include <memory>
#include <string>

#include "gale/common/result.h"
#include "gale/config.h"
#include "gale/runtime/errc.h"
#include "gale/topology.h"

namespace gale::runtime {

struct LoadedTopology {
  std::shared_ptr<void> library;  // keeps the .so mapped: release only after the topology
  std::string name;               // the name given to GALE_TOPOLOGY
  Topology topology;
};

// Either the loaded topology or an error (RuntimeErrc) whose message names the file and the
// problem: not found, not a shared library, no entry point, another API version, or an invalid
// topology.
Result<LoadedTopology> load_topology(const std::string& path, const Config& conf);

}  // namespace gale::runtime
