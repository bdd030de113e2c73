// redis.* config keys: defaults, and bad values refused with the key named.
#include "gale/redis/options.h"

#include <gtest/gtest.h>

namespace gale::redis {
namespace {

using namespace std::chrono_literals;

TEST(RedisOptionsTest, UnsetKeysTakeTheDocumentedDefaults) {
  Config config;
  ConnectionOptions c = ConnectionOptions::from_config(config);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 6379);
  EXPECT_EQ(c.db, 0);
  EXPECT_EQ(c.password, "");
  EXPECT_EQ(c.timeout, 1000ms);
  EXPECT_EQ(c.reconnect_backoff_max, 1000ms);
  BatchOptions b = BatchOptions::from_config(config);
  EXPECT_EQ(b.batch_size, 64);
  EXPECT_EQ(b.flush_interval, 50ms);
}

TEST(RedisOptionsTest, KeysSetAsTextOrNumbersAreRead) {
  Config config;
  ASSERT_TRUE(config.set(conf::kHost, "redis.internal"));
  ASSERT_TRUE(config.set(conf::kPort, "6380"));
  ASSERT_TRUE(config.set(conf::kDb, 2));
  ASSERT_TRUE(config.set(conf::kPassword, "pw"));
  ASSERT_TRUE(config.set(conf::kTimeoutMs, 250));
  ASSERT_TRUE(config.set(conf::kBatchSize, "8"));
  ConnectionOptions c = ConnectionOptions::from_config(config);
  EXPECT_EQ(c.address(), "redis.internal:6380");
  EXPECT_EQ(c.db, 2);
  EXPECT_EQ(c.password, "pw");
  EXPECT_EQ(c.timeout, 250ms);
  EXPECT_EQ(BatchOptions::from_config(config).batch_size, 8);
}

// The message of what from_config throws for `key` = `text`.
std::string refusal(const char* key, const char* text) {
  Config config;
  EXPECT_TRUE(config.set(key, text));
  try {
    ConnectionOptions::from_config(config);
    BatchOptions::from_config(config);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(RedisOptionsTest, BadValuesAreRefusedNamingKeyValueAndRange) {
  EXPECT_EQ(refusal(conf::kPort, "abc"),
            "redis.port: expected an integer in [1, 65535], got \"abc\"");
  EXPECT_EQ(refusal(conf::kPort, "0"), "redis.port: expected an integer in [1, 65535], got 0");
  EXPECT_EQ(refusal(conf::kPort, "70000"),
            "redis.port: expected an integer in [1, 65535], got 70000");
  EXPECT_EQ(refusal(conf::kDb, "-1"), "redis.db: expected an integer in [0, 1048576], got -1");
  EXPECT_EQ(refusal(conf::kTimeoutMs, "0"),
            "redis.timeout.ms: expected an integer in [1, 600000], got 0");
  EXPECT_EQ(refusal(conf::kBatchSize, "0"),
            "redis.batch.size: expected an integer in [1, 100000], got 0");
  EXPECT_EQ(refusal(conf::kFlushIntervalMs, "soon"),
            "redis.flush.interval.ms: expected an integer in [0, 600000], got \"soon\"");
  EXPECT_EQ(refusal(conf::kHost, ""), "redis.host: expected a host name or address, got \"\"");
}

}  // namespace
}  // namespace gale::redis
