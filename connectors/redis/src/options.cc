#include "gale/redis/options.h"

#include <stdexcept>

#include "gale/errors.h"

namespace gale::redis {

namespace {

// An integer key within [min, max], or `fallback` when unset; anything else is refused with
// the key, the value given and the range expected.
std::int64_t int_in_range(const Config& config, const char* key, std::int64_t fallback,
                          std::int64_t min, std::int64_t max) {
  auto refuse = [&](const std::string& got) {
    return std::invalid_argument(std::string(key) + ": expected an integer in [" +
                                 std::to_string(min) + ", " + std::to_string(max) + "], got " +
                                 got);
  };
  std::int64_t value = fallback;
  try {
    value = config.get_int(key, fallback);
  } catch (const TypeError&) {
    throw refuse("\"" + config.get_string(key) + "\"");
  }
  if (value < min || value > max) throw refuse(std::to_string(value));
  return value;
}

}  // namespace

ConnectionOptions ConnectionOptions::from_config(const Config& config) {
  ConnectionOptions o;
  o.host = config.get_string(conf::kHost, o.host);
  if (o.host.empty())
    throw std::invalid_argument(std::string(conf::kHost) +
                                ": expected a host name or address, got \"\"");
  o.port = static_cast<int>(int_in_range(config, conf::kPort, o.port, 1, 65535));
  o.db = static_cast<int>(int_in_range(config, conf::kDb, o.db, 0, 1 << 20));
  o.password = config.get_string(conf::kPassword, "");
  o.timeout = std::chrono::milliseconds(
      int_in_range(config, conf::kTimeoutMs, o.timeout.count(), 1, 600'000));
  o.reconnect_backoff_max = std::chrono::milliseconds(int_in_range(
      config, conf::kReconnectBackoffMaxMs, o.reconnect_backoff_max.count(), 50, 600'000));
  return o;
}

BatchOptions BatchOptions::from_config(const Config& config) {
  BatchOptions o;
  o.batch_size = static_cast<int>(int_in_range(config, conf::kBatchSize, o.batch_size, 1, 100'000));
  o.flush_interval = std::chrono::milliseconds(
      int_in_range(config, conf::kFlushIntervalMs, o.flush_interval.count(), 0, 600'000));
  return o;
}

}  // namespace gale::redis
