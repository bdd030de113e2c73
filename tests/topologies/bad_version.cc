// A topology library that claims another API version.
#include <gale/entry.h>

namespace {
gale::Topology never_called(const gale::Config&) {
  return {};
}
}  // namespace

extern "C" __attribute__((visibility("default"))) const gale::TopologyEntry* gale_topology_entry() {
  // 999: a version no Gale will have (the tests look for it in the refusal).
  static const gale::TopologyEntry entry{999, "bad_version", &never_called};
  return &entry;
}
