#include <nlohmann/json.hpp>

#include "gale/events/events.h"

namespace gale::events {

std::string dead_letter_json(std::string_view key, std::string_view value,
                             std::string_view reason) {
  nlohmann::json letter{{"reason", reason}, {"key", key}, {"value", value}};
  return letter.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gale::events
