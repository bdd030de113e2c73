#include <stdexcept>

#include "gale/errors.h"
#include "gale/sms/gateway_client.h"
#include "url.h"

namespace gale::sms {

namespace {

// A timeout key in [1, 600000] ms, or `fallback` when unset.
std::chrono::milliseconds millis_key(const Config& config, const char* key,
                                     std::chrono::milliseconds fallback) {
  auto refuse = [&](const std::string& got) {
    return std::invalid_argument(std::string(key) +
                                 ": expected an integer in [1, 600000] (ms), got " + got);
  };
  std::int64_t value = 0;
  try {
    value = config.get_int(key, fallback.count());
  } catch (const TypeError&) {
    throw refuse("\"" + config.get_string(key) + "\"");
  }
  if (value < 1 || value > 600'000) throw refuse(std::to_string(value));
  return std::chrono::milliseconds(value);
}

}  // namespace

GatewayOptions GatewayOptions::from_config(const Config& config) {
  GatewayOptions o;
  o.url = config.get_string(conf::kGatewayUrl, "");
  if (o.url.empty()) {
    throw std::invalid_argument(std::string(conf::kGatewayUrl) +
                                " is not set: expected the gateway's http://host:port/path");
  }
  try {
    parse_url(o.url);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(conf::kGatewayUrl) + ": " + e.what());
  }
  o.connect_timeout = millis_key(config, conf::kConnectTimeoutMs, o.connect_timeout);
  o.request_timeout = millis_key(config, conf::kRequestTimeoutMs, o.request_timeout);
  return o;
}

}  // namespace gale::sms
