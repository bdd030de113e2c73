#include "gale/common/component_counts.h"

#include <charconv>

#include "gale/common/errc.h"

namespace gale {

Result<ComponentCounts> parse_component_counts(const std::vector<std::string>& entries) {
  ComponentCounts counts;
  for (const auto& entry : entries) {
    const auto eq = entry.find('=');
    int n = 0;
    const char* first = entry.data() + (eq == std::string::npos ? entry.size() : eq + 1);
    const char* last = entry.data() + entry.size();
    auto [end, ec] = std::from_chars(first, last, n);
    if (eq == std::string::npos || eq == 0 || first == last || ec != std::errc() || end != last ||
        n < 1)
      return make_error(CommonErrc::bad_setting,
                        "-e '" + entry + "': expected component=executors (a whole number >= 1)");
    counts[entry.substr(0, eq)] = n;
  }
  return counts;
}

}  // namespace gale
