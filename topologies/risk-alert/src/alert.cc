#include "gale/risk/alert.h"

#include <cstdint>

namespace gale::risk {

std::string alert_id(std::string_view rule_id, std::string_view transaction_id) {
  constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;
  constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;
  std::uint64_t hash = fnv_offset;
  const auto mix = [&hash](std::string_view bytes) {
    for (const char c : bytes) {
      hash ^= static_cast<unsigned char>(c);
      hash *= fnv_prime;
    }
  };
  mix(rule_id);
  mix("|");
  mix(transaction_id);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) hex[static_cast<std::size_t>(i)] = digits[hash & 0xf];
  return hex;
}

std::string alert_to_json(const Alert& alert) {
  // ordered_json keeps the documented field order, which reads better in a dashboard.
  nlohmann::ordered_json json;
  json["alert_id"] = alert.id;
  json["rule"] = alert.rule;
  json["severity"] = alert.severity;
  json["kind"] = alert.kind;
  json["evidence"] = alert.evidence;
  json["transaction"] = nlohmann::ordered_json::parse(events::to_json(alert.transaction));
  return json.dump();
}

}  // namespace gale::risk
