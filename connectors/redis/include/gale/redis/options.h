#pragma once
// Where and how the Redis connector connects, and how its bolts batch: read from the
// topology's Config (redis.* keys) or set in code.
#include <chrono>
#include <string>

#include "gale/config.h"

namespace gale::redis {

namespace conf {
inline constexpr const char* kHost = "redis.host";             // default 127.0.0.1
inline constexpr const char* kPort = "redis.port";             // default 6379
inline constexpr const char* kDb = "redis.db";                 // default 0
inline constexpr const char* kPassword = "redis.password";     // default none
inline constexpr const char* kTimeoutMs = "redis.timeout.ms";  // default 1000
inline constexpr const char* kReconnectBackoffMaxMs = "redis.reconnect.backoff.max.ms";  // 1000
inline constexpr const char* kBatchSize = "redis.batch.size";               // default 64
inline constexpr const char* kFlushIntervalMs = "redis.flush.interval.ms";  // default 50
}  // namespace conf

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;            // SELECTed on every (re)connect unless 0
  std::string password;  // AUTH on every (re)connect unless empty
  // Bounds the connect and the wait for each reply (a pipeline's replies are read one by one).
  std::chrono::milliseconds timeout{1000};
  // After a failed reconnect the next attempt waits 50 ms, doubling up to this.
  std::chrono::milliseconds reconnect_backoff_max{1000};

  // From the redis.* keys, defaults for unset ones. Throws std::invalid_argument naming the
  // key, the value and what was expected.
  static ConnectionOptions from_config(const Config& config);
  std::string address() const { return host + ":" + std::to_string(port); }
};

struct BatchOptions {
  int batch_size = 64;  // inputs per pipeline; 1 sends each input at once
  // A partial batch goes out when an input arrives and the oldest buffered input has waited
  // this long, and at every tick tuple whatever its age.
  std::chrono::milliseconds flush_interval{50};

  // From redis.batch.size and redis.flush.interval.ms; throws std::invalid_argument as above.
  static BatchOptions from_config(const Config& config);
};

}  // namespace gale::redis
