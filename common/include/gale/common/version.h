#pragma once
// The release of this Gale build, and the line every program prints for --version.
#include <string>
#include <string_view>

namespace gale {

// The release, e.g. "0.1.0" (the project version in the top-level CMakeLists.txt).
std::string_view release();

// "<program> <release> (topology API <n>)": what `--version` prints and each daemon logs at
// start, so an operator can tell which topologies a machine will load.
std::string version_text(std::string_view program);

}  // namespace gale
