#pragma once
// The version of the topology API. A packaged topology records the version it was built
// against (GALE_TOPOLOGY does this); the runtime refuses a topology whose version differs.
// Bump on any change to a public header that alters layout or virtual tables.
#define GALE_API_VERSION 1

namespace gale {
inline constexpr int kApiVersion = GALE_API_VERSION;
}  // namespace gale
