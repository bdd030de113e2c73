// A topology library that claims another API version.
#include <gale/entry.h>

namespace {
gale::Topology never_called(const gale::Config&) {
  return {};
}
}  // namespace

extern "C" __attribute__((visibility("default"))) const gale::TopologyEntry* gale_topology_entry() {
  static const gale::TopologyEntry entry{GALE_API_VERSION + 998, "bad_version", &never_called};
  return &entry;
}
