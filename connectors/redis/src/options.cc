#include "gale/redis/options.h"

#include <stdexcept>

namespace gale::redis {

ConnectionOptions ConnectionOptions::from_config(const Config& config) {
  ConnectionOptions o;
  o.host = config.get_string(conf::kHost, o.host);
  if (o.host.empty())
    throw std::invalid_argument(std::string(conf::kHost) +
                                ": expected a host name or address, got \"\"");
  o.port = static_cast<int>(config.get_int_in(conf::kPort, o.port, 1, 65535));
  o.db = static_cast<int>(config.get_int_in(conf::kDb, o.db, 0, 1 << 20));
  o.password = config.get_string(conf::kPassword, "");
  o.timeout =
      std::chrono::milliseconds(config.get_int_in(conf::kTimeoutMs, o.timeout.count(), 1, 600'000));
  o.reconnect_backoff_max = std::chrono::milliseconds(config.get_int_in(
      conf::kReconnectBackoffMaxMs, o.reconnect_backoff_max.count(), 50, 600'000));
  return o;
}

BatchOptions BatchOptions::from_config(const Config& config) {
  BatchOptions o;
  o.batch_size = static_cast<int>(config.get_int_in(conf::kBatchSize, o.batch_size, 1, 100'000));
  o.flush_interval = std::chrono::milliseconds(
      config.get_int_in(conf::kFlushIntervalMs, o.flush_interval.count(), 0, 600'000));
  return o;
}

}  // namespace gale::redis
