#pragma once
// Configuration of the Kafka spout and sink, built in code or read from a topology's
// gale::Config under a key prefix (README.md lists every key and its default).
#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gale/config.h"
#include "gale/kafka/offset_tracker.h"

namespace gale::kafka {

// A bad configuration value; what() names the key and what was expected.
class KafkaConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Where a newly assigned partition starts.
enum class StartStrategy {
  earliest,   // the spout's first assignment: the partition's first offset, ignoring commits
  latest,     // the spout's first assignment: only messages produced from now on
  committed,  // the group's committed offset; offset_reset when the group has none
};
// Where a partition starts when the group has no commit for it (strategy `committed`, and
// partitions that move to the spout later in the run).
enum class OffsetReset { earliest, latest };

struct KafkaSpoutConfig {
  std::string bootstrap_servers;
  std::vector<std::string> topics;
  std::string group_id;
  StartStrategy start = StartStrategy::committed;
  OffsetReset offset_reset = OffsetReset::earliest;
  std::chrono::milliseconds commit_interval{1000};
  std::size_t max_uncommitted_per_partition = 10'000;
  RetryPolicy retry;
  // Further librdkafka consumer properties ("session.timeout.ms" -> "6000").
  std::map<std::string, std::string> consumer_properties;
  // The prefix the keys were read under; error messages name keys with it.
  std::string prefix = "kafka.";

  // Reads <prefix>bootstrap.servers, <prefix>topics, ... (README.md). Throws KafkaConfigError
  // naming the first bad key.
  static KafkaSpoutConfig from(const Config& conf, std::string_view prefix = "kafka.");
  // Throws KafkaConfigError naming the first problem, including a consumer property that
  // librdkafka refuses or one the spout sets itself.
  void validate() const;
};

struct KafkaSinkConfig {
  std::string bootstrap_servers;
  std::string topic;        // every message goes here, unless topic_field is set
  std::string topic_field;  // the input field that names each message's topic
  std::string key_field;    // the input field used as the message key; empty: no key
  std::string value_field = "value";
  // How long cleanup() waits for outstanding deliveries before failing the rest.
  std::chrono::milliseconds flush_timeout{5000};
  // Further librdkafka producer properties ("linger.ms" -> "5").
  std::map<std::string, std::string> producer_properties;
  std::string prefix = "kafka.sink.";

  // Reads <prefix>bootstrap.servers, <prefix>topic, ... (README.md). Throws KafkaConfigError.
  static KafkaSinkConfig from(const Config& conf, std::string_view prefix = "kafka.sink.");
  // `needs_fields`: false when a mapper replaces the field names (then only the servers and
  // the properties are checked).
  void validate(bool needs_fields = true) const;
};

}  // namespace gale::kafka
