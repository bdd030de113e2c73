#pragma once
// The version of the topology API. A packaged topology records the version it was built
// against (GALE_TOPOLOGY does this); the runtime refuses a topology whose version differs.
// Bump on any change to a public header that alters layout, virtual tables or a signature of
// an SDK library (it is also their SONAME). History:
//   1  the first installable SDK
//   2  the connectors' and events' calls return gale::Result (one result type)
//   3  SpoutCollector::set_polled / input_available; one_to_one grouping (operator chaining)
//   4  TopologyContext::metrics(): counters, gauges and histograms (gale/metrics.h)
//   5  TopologyContext::settings() and TopologyBuilder::declare_changeable (gale/settings.h)
#define GALE_API_VERSION 5

namespace gale {
inline constexpr int kApiVersion = GALE_API_VERSION;
}  // namespace gale
