#pragma once
// "component=count" flags (the -e of `gale rebalance` and of `gale-worker inspect`): one parser,
// one rule. The count is a whole number >= 1; the component is any non-empty name (the layout
// checks that it exists).
#include <map>
#include <string>
#include <vector>

#include "gale/common/result.h"

namespace gale {

using ComponentCounts = std::map<std::string, int, std::less<>>;

// Component -> count, a later entry for the same component replacing an earlier one. A bad
// entry is refused with CommonErrc::bad_setting and a message naming it:
// "-e 'split': expected component=executors (a whole number >= 1)".
Result<ComponentCounts> parse_component_counts(const std::vector<std::string>& entries);

}  // namespace gale
