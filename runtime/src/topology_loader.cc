#include "gale/runtime/topology_loader.h"

#include <dlfcn.h>

#include <fstream>

#include "gale/entry.h"
#include "gale/errors.h"

namespace gale::runtime {

namespace {

Status check_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(RuntimeErrc::cannot_open,
                      "cannot open topology '" + path + "': no such readable file");
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() < 4 || magic[0] != 0x7f || magic[1] != 'E' || magic[2] != 'L' || magic[3] != 'F')
    return make_error(RuntimeErrc::not_a_library,
                      "'" + path +
                          "' is not a shared library (no ELF header); build it with "
                          "gale_topology() in CMake");
  return {};
}

}  // namespace

Result<LoadedTopology> load_topology(const std::string& path, const Config& conf) {
  if (auto checked = check_file(path); !checked) return checked.error();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return make_error(RuntimeErrc::not_a_library, "cannot load '" + path + "': " + dlerror());
  std::shared_ptr<void> library(handle, [](void* h) { dlclose(h); });

  auto entry_fn = reinterpret_cast<EntryFunction>(dlsym(handle, kEntrySymbol));
  if (!entry_fn)
    return make_error(RuntimeErrc::no_entry_point,
                      "'" + path + "' has no entry point '" + kEntrySymbol +
                          "': declare the topology with GALE_TOPOLOGY(name, conf)");
  const TopologyEntry* entry = entry_fn();
  if (!entry)
    return make_error(RuntimeErrc::no_entry_point,
                      "'" + path + "': the entry point returned nothing");
  if (entry->api_version != static_cast<std::uint32_t>(kApiVersion))
    return make_error(RuntimeErrc::api_version,
                      "'" + path + "' was built against topology API version " +
                          std::to_string(entry->api_version) + ", but this gale has version " +
                          std::to_string(kApiVersion) + "; rebuild the topology against this gale");
  try {
    LoadedTopology loaded{library, entry->name ? entry->name : "", entry->create(conf)};
    return loaded;
  } catch (const InvalidTopology& e) {
    return make_error(RuntimeErrc::invalid_topology, "'" + path + "': " + e.what());
  } catch (const std::exception& e) {
    return make_error(RuntimeErrc::invalid_topology,
                      "'" + path + "': building the topology failed: " + e.what());
  }
}

}  // namespace gale::runtime
