#include "gale/kafka/config.h"

#include <algorithm>
#include <array>
#include <limits>

#include "client_settings.h"
#include "config_reader.h"

namespace gale::kafka {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
constexpr const char* kSetByConnector = "(set by the connector)";

// Properties the connector sets from its own keys or must keep: overriding them would break
// at-least-once (auto commit) or duplicate a key of ours.
constexpr std::array<std::string_view, 4> kConsumerOwned = {
    "bootstrap.servers", "group.id", "enable.auto.commit", "auto.offset.reset"};
constexpr std::array<std::string_view, 2> kProducerOwned = {"bootstrap.servers",
                                                            "enable.idempotence"};

void require(bool ok, const std::string& key, std::string_view what) {
  if (!ok) throw KafkaConfigError("config key '" + key + "': " + std::string(what));
}

template <std::size_t N>
void append_extra(std::vector<Property>& out, const std::map<std::string, std::string>& extra,
                  const std::array<std::string_view, N>& owned, const std::string& group) {
  for (const auto& [name, value] : extra) {
    std::string source = group + name;
    if (std::find(owned.begin(), owned.end(), name) != owned.end()) {
      throw KafkaConfigError("config key '" + source +
                             "': set by the connector itself and cannot be overridden");
    }
    out.push_back({name, value, source});
  }
}

StartStrategy parse_start(const std::string& s) {
  if (s == "earliest") return StartStrategy::earliest;
  if (s == "latest") return StartStrategy::latest;
  return StartStrategy::committed;
}

}  // namespace

KafkaSpoutConfig KafkaSpoutConfig::from(const Config& conf, std::string_view prefix) {
  ConfigReader r(conf, prefix);
  KafkaSpoutConfig c;
  c.prefix = std::string(prefix);
  c.bootstrap_servers = r.text("bootstrap.servers");
  c.topics = r.list("topics");
  c.group_id = r.text("group.id");
  c.start = parse_start(
      r.choice("first.poll.offset.strategy", "committed", {"earliest", "latest", "committed"}));
  // A spout started at `latest` should not jump back to the beginning when a partition moves
  // before anything was committed.
  std::string_view reset = c.start == StartStrategy::latest ? "latest" : "earliest";
  c.offset_reset = r.choice("offset.reset", reset, {"earliest", "latest"}) == "latest"
                       ? OffsetReset::latest
                       : OffsetReset::earliest;
  c.commit_interval =
      std::chrono::milliseconds(r.integer("offset.commit.period.ms", 1000, 1, kMaxInt));
  c.max_uncommitted_per_partition =
      static_cast<std::size_t>(r.integer("max.uncommitted.offsets", 10'000, 1, kMaxInt));
  c.retry.initial = std::chrono::milliseconds(r.integer("retry.initial.delay.ms", 100, 0, kMaxInt));
  c.retry.multiplier = r.number("retry.delay.multiplier", 2.0, 1.0);
  c.retry.max = std::chrono::milliseconds(r.integer("retry.max.delay.ms", 10'000, 0, kMaxInt));
  c.retry.max_retries = r.integer("retry.max.retries", -1, -1, kMaxInt);
  c.consumer_properties = r.properties("consumer");
  c.validate();
  return c;
}

void KafkaSpoutConfig::validate() const {
  require(!bootstrap_servers.empty(), prefix + "bootstrap.servers",
          "required: the brokers to connect to (host:port,host:port)");
  require(!topics.empty(), prefix + "topics", "required: the topics to read (comma-separated)");
  for (const std::string& t : topics)
    require(!t.empty(), prefix + "topics", "a topic name is empty");
  require(!group_id.empty(), prefix + "group.id",
          "required: the consumer group whose offsets the spout commits");
  require(commit_interval.count() >= 1, prefix + "offset.commit.period.ms", "must be >= 1");
  require(max_uncommitted_per_partition >= 1, prefix + "max.uncommitted.offsets", "must be >= 1");
  require(retry.initial.count() >= 0, prefix + "retry.initial.delay.ms", "must be >= 0");
  require(retry.multiplier >= 1.0, prefix + "retry.delay.multiplier", "must be >= 1");
  require(retry.max >= retry.initial, prefix + "retry.max.delay.ms",
          "must be >= retry.initial.delay.ms");
  require(retry.max_retries >= -1, prefix + "retry.max.retries",
          "must be >= 0, or -1 for unlimited");
  auto strategy = consumer_properties.find("partition.assignment.strategy");
  require(strategy == consumer_properties.end() ||
              strategy->second.find("cooperative") == std::string::npos,
          prefix + "consumer.partition.assignment.strategy",
          "the spout handles eager rebalances only (range, roundrobin), not cooperative ones");
  make_conf(consumer_settings(*this));  // librdkafka's own checks of every property
}

std::vector<Property> consumer_settings(const KafkaSpoutConfig& c) {
  std::vector<Property> props = {
      {"bootstrap.servers", c.bootstrap_servers, c.prefix + "bootstrap.servers"},
      {"group.id", c.group_id, c.prefix + "group.id"},
      {"enable.auto.commit", "false", kSetByConnector},
      {"enable.partition.eof", "false", kSetByConnector},
      {"auto.offset.reset", c.offset_reset == OffsetReset::latest ? "latest" : "earliest",
       c.prefix + "offset.reset"},
  };
  append_extra(props, c.consumer_properties, kConsumerOwned, c.prefix + "consumer.");
  return props;
}

KafkaSinkConfig KafkaSinkConfig::from(const Config& conf, std::string_view prefix) {
  ConfigReader r(conf, prefix);
  KafkaSinkConfig c;
  c.prefix = std::string(prefix);
  c.bootstrap_servers = r.text("bootstrap.servers");
  c.topic = r.text("topic");
  c.topic_field = r.text("topic.field");
  c.key_field = r.text("key.field");
  c.value_field = r.text("value.field", "value");
  c.flush_timeout = std::chrono::milliseconds(r.integer("flush.timeout.ms", 5000, 0, kMaxInt));
  c.producer_properties = r.properties("producer");
  c.validate();
  return c;
}

void KafkaSinkConfig::validate(bool needs_fields) const {
  require(!bootstrap_servers.empty(), prefix + "bootstrap.servers",
          "required: the brokers to connect to (host:port,host:port)");
  require(flush_timeout.count() >= 0, prefix + "flush.timeout.ms", "must be >= 0");
  if (needs_fields) {
    require(!topic.empty() || !topic_field.empty(), prefix + "topic",
            "required (or " + prefix + "topic.field): where the messages go");
    require(!value_field.empty(), prefix + "value.field", "must name the input field to send");
  }
  make_conf(producer_settings(*this));
}

std::vector<Property> producer_settings(const KafkaSinkConfig& c) {
  std::vector<Property> props = {
      {"bootstrap.servers", c.bootstrap_servers, c.prefix + "bootstrap.servers"},
      {"enable.idempotence", "true", kSetByConnector},
  };
  append_extra(props, c.producer_properties, kProducerOwned, c.prefix + "producer.");
  return props;
}

}  // namespace gale::kafka
