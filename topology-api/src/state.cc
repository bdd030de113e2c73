#include "gale/state.h"

namespace gale {
namespace detail {

void throw_truncated(const char* type) {
  throw std::runtime_error(std::string("state entry ends inside a ") + type);
}

StateBase::~StateBase() = default;

}  // namespace detail

// Out of line: their type information lives in this library, so that a topology's bolts are
// recognized as stateful by the runtime across shared-library boundaries.
StatefulBolt::~StatefulBolt() = default;
StatefulSpout::~StatefulSpout() = default;

}  // namespace gale
