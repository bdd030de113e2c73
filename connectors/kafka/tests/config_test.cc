// Reading the spout's and the sink's keys from a topology config: defaults, every key, and a
// clear error naming the key for each bad value.
#include "gale/kafka/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gale/kafka/kafka_sink_bolt.h"
#include "gale/kafka/kafka_spout.h"

namespace gale::kafka {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

Config minimal_spout() {
  Config c;
  c.set("kafka.bootstrap.servers", "127.0.0.1:9092");
  c.set("kafka.topics", "transactions");
  c.set("kafka.group.id", "risk");
  return c;
}

std::string spout_error(const Config& c) {
  try {
    KafkaSpoutConfig::from(c);
  } catch (const KafkaConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(KafkaSpoutConfigTest, DefaultsApplyWhenOnlyTheRequiredKeysAreSet) {
  KafkaSpoutConfig c = KafkaSpoutConfig::from(minimal_spout());
  EXPECT_EQ(c.bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(c.topics, std::vector<std::string>{"transactions"});
  EXPECT_EQ(c.group_id, "risk");
  EXPECT_EQ(c.start, StartStrategy::committed);
  EXPECT_EQ(c.offset_reset, OffsetReset::earliest);
  EXPECT_EQ(c.commit_interval, 1000ms);
  EXPECT_EQ(c.max_uncommitted_per_partition, 10'000u);
  EXPECT_EQ(c.retry.initial, 100ms);
  EXPECT_EQ(c.retry.multiplier, 2.0);
  EXPECT_EQ(c.retry.max, 10'000ms);
  EXPECT_EQ(c.retry.max_retries, -1);
  EXPECT_TRUE(c.consumer_properties.empty());
}

TEST(KafkaSpoutConfigTest, EveryKeyIsReadUnderThePrefix) {
  Config c;
  c.set("in.bootstrap.servers", "a:1,b:2");
  c.set("in.topics", " t1, t2 ,,t3");
  c.set("in.group.id", "g");
  c.set("in.first.poll.offset.strategy", "latest");
  c.set("in.offset.reset", "latest");
  c.set("in.offset.commit.period.ms", 250);
  c.set("in.max.uncommitted.offsets", "77");  // text, as from a file or the CLI
  c.set("in.retry.initial.delay.ms", 5);
  c.set("in.retry.delay.multiplier", 3.0);
  c.set("in.retry.max.delay.ms", 500);
  c.set("in.retry.max.retries", 4);
  c.set("in.consumer.session.timeout.ms", "6000");
  KafkaSpoutConfig k = KafkaSpoutConfig::from(c, "in.");
  EXPECT_EQ(k.topics, (std::vector<std::string>{"t1", "t2", "t3"}));
  EXPECT_EQ(k.start, StartStrategy::latest);
  EXPECT_EQ(k.offset_reset, OffsetReset::latest);
  EXPECT_EQ(k.commit_interval, 250ms);
  EXPECT_EQ(k.max_uncommitted_per_partition, 77u);
  EXPECT_EQ(k.retry.initial, 5ms);
  EXPECT_EQ(k.retry.multiplier, 3.0);
  EXPECT_EQ(k.retry.max, 500ms);
  EXPECT_EQ(k.retry.max_retries, 4);
  EXPECT_EQ(k.consumer_properties,
            (std::map<std::string, std::string>{{"session.timeout.ms", "6000"}}));
  EXPECT_EQ(k.prefix, "in.");
}

TEST(KafkaSpoutConfigTest, StartingAtLatestAlsoResetsToLatest) {
  Config c = minimal_spout();
  c.set("kafka.first.poll.offset.strategy", "latest");
  EXPECT_EQ(KafkaSpoutConfig::from(c).offset_reset, OffsetReset::latest);
  c.set("kafka.offset.reset", "earliest");
  EXPECT_EQ(KafkaSpoutConfig::from(c).offset_reset, OffsetReset::earliest) << "set explicitly";
}

TEST(KafkaSpoutConfigTest, MissingRequiredKeysAreNamed) {
  Config c = minimal_spout();
  c.set("kafka.group.id", "");
  EXPECT_THAT(spout_error(c), HasSubstr("'kafka.group.id': required"));
  EXPECT_THAT(spout_error(Config()), HasSubstr("'kafka.bootstrap.servers': required"));
  Config no_topics = minimal_spout();
  no_topics.set("kafka.topics", " , ");
  EXPECT_THAT(spout_error(no_topics), HasSubstr("'kafka.topics': required"));
}

TEST(KafkaSpoutConfigTest, BadValuesAreRefusedNamingTheKey) {
  struct Case {
    const char* key;
    const char* value;
    const char* message;
  };
  for (const Case& k : {
           Case{"kafka.first.poll.offset.strategy", "newest",
                "'kafka.first.poll.offset.strategy': expected earliest | latest | committed, got "
                "'newest'"},
           Case{"kafka.offset.reset", "none", "'kafka.offset.reset': expected earliest | latest"},
           Case{"kafka.max.uncommitted.offsets", "0", "'kafka.max.uncommitted.offsets': expected"},
           Case{"kafka.offset.commit.period.ms", "soon", "'kafka.offset.commit.period.ms'"},
           Case{"kafka.retry.delay.multiplier", "0.5", "'kafka.retry.delay.multiplier'"},
           Case{"kafka.retry.max.retries", "-2", "'kafka.retry.max.retries'"},
           Case{"kafka.retry.max.delay.ms", "1", "'kafka.retry.max.delay.ms': must be >="},
           Case{"kafka.consumer.session.timeout.ms", "abc",
                "'kafka.consumer.session.timeout.ms': librdkafka refuses session.timeout.ms=abc"},
           Case{"kafka.consumer.no.such.property", "1", "'kafka.consumer.no.such.property'"},
           Case{"kafka.consumer.enable.auto.commit", "true",
                "'kafka.consumer.enable.auto.commit': set by the connector"},
           Case{"kafka.consumer.partition.assignment.strategy", "cooperative-sticky",
                "'kafka.consumer.partition.assignment.strategy': the spout handles eager"},
       }) {
    Config c = minimal_spout();
    ASSERT_TRUE(c.set(k.key, k.value));
    EXPECT_THAT(spout_error(c), HasSubstr(k.message)) << k.key;
  }
}

TEST(KafkaSpoutConfigTest, TheSpoutRefusesAnInvalidConfigAtConstruction) {
  KafkaSpoutConfig c = KafkaSpoutConfig::from(minimal_spout());
  c.topics.clear();
  EXPECT_THROW(KafkaSpout spout(c), KafkaConfigError);
}

TEST(KafkaSpoutConfigTest, TheStandardTranslatorDeclaresTheFiveFields) {
  KafkaSpout spout(KafkaSpoutConfig::from(minimal_spout()));
  OutputDeclarer d;
  spout.declare_outputs(d);
  ASSERT_EQ(d.streams().size(), 1u);
  EXPECT_EQ(d.streams()[0].fields, (Fields{"topic", "partition", "offset", "key", "value"}));
}

Config minimal_sink() {
  Config c;
  c.set("kafka.sink.bootstrap.servers", "127.0.0.1:9092");
  c.set("kafka.sink.topic", "alerts");
  return c;
}

std::string sink_error(const Config& c) {
  try {
    KafkaSinkConfig::from(c);
  } catch (const KafkaConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(KafkaSinkConfigTest, DefaultsAndEveryKey) {
  KafkaSinkConfig d = KafkaSinkConfig::from(minimal_sink());
  EXPECT_EQ(d.topic, "alerts");
  EXPECT_EQ(d.value_field, "value");
  EXPECT_EQ(d.key_field, "");
  EXPECT_EQ(d.flush_timeout, 5000ms);

  Config c;
  c.set("out.bootstrap.servers", "b:1");
  c.set("out.topic.field", "where");
  c.set("out.key.field", "id");
  c.set("out.value.field", "json");
  c.set("out.flush.timeout.ms", 100);
  c.set("out.producer.linger.ms", 20);
  KafkaSinkConfig k = KafkaSinkConfig::from(c, "out.");
  EXPECT_EQ(k.topic_field, "where");
  EXPECT_EQ(k.key_field, "id");
  EXPECT_EQ(k.value_field, "json");
  EXPECT_EQ(k.flush_timeout, 100ms);
  EXPECT_EQ(k.producer_properties, (std::map<std::string, std::string>{{"linger.ms", "20"}}));
}

TEST(KafkaSinkConfigTest, BadValuesAreRefusedNamingTheKey) {
  Config no_topic = minimal_sink();
  no_topic.set("kafka.sink.topic", "");
  EXPECT_THAT(sink_error(no_topic), HasSubstr("'kafka.sink.topic': required"));
  Config idem = minimal_sink();
  idem.set("kafka.sink.producer.enable.idempotence", "false");
  EXPECT_THAT(sink_error(idem), HasSubstr("'kafka.sink.producer.enable.idempotence': set by"));
  Config bad = minimal_sink();
  bad.set("kafka.sink.producer.linger.ms", "-5");
  EXPECT_THAT(sink_error(bad), HasSubstr("'kafka.sink.producer.linger.ms': librdkafka refuses"));
  Config wait = minimal_sink();
  wait.set("kafka.sink.flush.timeout.ms", -1);
  EXPECT_THAT(sink_error(wait), HasSubstr("'kafka.sink.flush.timeout.ms'"));
}

TEST(KafkaSinkConfigTest, AMapperMakesTheFieldKeysOptional) {
  KafkaSinkConfig c;
  c.bootstrap_servers = "127.0.0.1:9092";
  EXPECT_THROW(KafkaSinkBolt bolt(c), KafkaConfigError);
  EXPECT_NO_THROW(KafkaSinkBolt bolt(c, [](const Tuple&) { return SinkRecord{"t", {}, "v"}; }));
}

}  // namespace
}  // namespace gale::kafka
