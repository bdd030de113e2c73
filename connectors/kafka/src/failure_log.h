#pragma once
// Thins out a repeating failure before it is logged: the first of each kind, then every
// 1000th with the count so far. A broker that refuses every message would otherwise log once
// per message.
#include <cstdint>
#include <map>
#include <string>

namespace gale::kafka {

class FailureLog {
 public:
  // The line to log for this failure, or an empty string when this one is skipped.
  std::string note(const std::string& kind, const std::string& detail) {
    std::int64_t n = ++counts_[kind];
    if (n != 1 && n % 1000 != 0) return {};
    return detail + (n == 1 ? "" : " (" + std::to_string(n) + " times so far)");
  }

 private:
  std::map<std::string, std::int64_t> counts_;
};

}  // namespace gale::kafka
