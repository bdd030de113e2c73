#pragma once
// The entry point of a packaged topology (a shared library loaded with dlopen).
//
//   GALE_TOPOLOGY(word_count, const gale::Config& conf) {
//     gale::TopologyBuilder b;
//     ...
//     return b.build();
//   }
//
// expands to an extern "C" function `gale_topology_entry` returning a TopologyEntry whose
// first member is the API version the library was compiled against. The runtime reads that
// version before touching anything else and refuses a mismatch.
#include <cstddef>
#include <cstdint>

#include "gale/config.h"
#include "gale/topology.h"
#include "gale/version.h"

namespace gale {

struct TopologyEntry {
  std::uint32_t api_version;  // must stay the first member: read before anything else
  const char* name;
  Topology (*create)(const Config& conf);
};
static_assert(offsetof(TopologyEntry, api_version) == 0, "api_version must come first");

inline constexpr const char* kEntrySymbol = "gale_topology_entry";
using EntryFunction = const TopologyEntry* (*)();

}  // namespace gale

#define GALE_TOPOLOGY(NAME, CONF_PARAM)                                             \
  static ::gale::Topology gale_topology_create_##NAME([[maybe_unused]] CONF_PARAM); \
  extern "C" __attribute__((visibility("default"))) const ::gale::TopologyEntry*    \
  gale_topology_entry() {                                                           \
    static const ::gale::TopologyEntry entry{GALE_API_VERSION, #NAME,               \
                                             &gale_topology_create_##NAME};         \
    return &entry;                                                                  \
  }                                                                                 \
  static ::gale::Topology gale_topology_create_##NAME([[maybe_unused]] CONF_PARAM)
