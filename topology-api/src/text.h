#pragma once
// Building the messages of the topology API's errors (GCC 12 has no std::format).
#include <concepts>
#include <string>
#include <string_view>

namespace gale::text {

inline void append(std::string& out, std::string_view part) {
  out += part;
}

template <std::integral Integer>
requires(!std::same_as<Integer, char> && !std::same_as<Integer, bool>) void append(std::string& out,
                                                                                   Integer number) {
  out += std::to_string(number);
}

// Concatenates strings and integers: concat("has ", 3, " values").
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (append(out, parts), ...);
  return out;
}

// 'name': how every message shows a user's identifier, so that an empty one stays visible.
inline std::string quoted(std::string_view name) {
  return concat("'", name, "'");
}

}  // namespace gale::text
