#include <array>

#include "gale/events/events.h"

namespace gale::events {

namespace {
constexpr std::array<std::string_view, 5> kChannelNames = {"pos", "atm", "online", "mobile",
                                                           "counter"};
}  // namespace

std::string_view to_string(Channel c) {
  return kChannelNames[static_cast<std::size_t>(c)];
}

std::optional<Channel> channel_from(std::string_view s) {
  for (std::size_t i = 0; i < kChannelNames.size(); ++i)
    if (kChannelNames[i] == s) return static_cast<Channel>(i);
  return std::nullopt;
}

}  // namespace gale::events
