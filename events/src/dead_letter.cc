#include <nlohmann/json.hpp>

#include "gale/common/base64.h"
#include "gale/events/events.h"

namespace gale::events {

namespace {

bool is_utf8(std::string_view text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

// `field` as text when it is UTF-8; else its bytes base64-encoded, with "<field>_encoding":
// "base64", so that the letter keeps them exactly.
void put_bytes(nlohmann::json& letter, const char* field, std::string_view bytes) {
  if (is_utf8(bytes)) {
    letter[field] = bytes;
  } else {
    letter[field] = base64_encode(bytes);
    letter[std::string(field) + "_encoding"] = "base64";
  }
}

}  // namespace

std::string dead_letter_json(std::string_view key, std::string_view value,
                             std::string_view reason) {
  nlohmann::json letter{{"reason", reason}};
  put_bytes(letter, "key", key);
  put_bytes(letter, "value", value);
  // A reason quotes what it found, which may hold any bytes: it alone is made readable.
  return letter.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gale::events
