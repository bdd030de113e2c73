#pragma once
// KafkaSinkBolt: produces one Kafka message per input tuple with an idempotent producer, and
// acks the input only when Kafka confirms the delivery (fails it on a delivery error, so the
// spout replays it).
//
//   auto sink = gale::kafka::KafkaSinkConfig::from(conf);   // kafka.sink.topic, ...
//   gale::kafka::set_kafka_sink(builder, "alerts-out", sink).shuffle_grouping("alerts");
//
// Delivery reports are served on the bolt's thread: in execute() and on tick tuples. Declare
// the bolt with set_kafka_sink (which asks for a tick every second) or add
// topology.tick.tuple.freq.secs yourself; without ticks, the last inputs are acked only when
// the next input arrives.
//
// Threading: all methods run on the executor's thread, librdkafka's delivery callback too.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gale/components.h"
#include "gale/kafka/config.h"
#include "gale/topology.h"

namespace gale::kafka {

// One message to produce.
struct SinkRecord {
  std::string topic;                 // empty: the configured topic
  std::optional<std::string> key;    // nothing: no key
  std::optional<std::string> value;  // nothing: a null value (a tombstone)
};

// Turns an input tuple into a message. Runs on the bolt's thread; if it throws, the input is
// failed and the error reported.
using SinkMapper = std::function<SinkRecord(const Tuple&)>;

class KafkaSinkBolt : public Bolt {
 public:
  // Without a mapper the message comes from the config's fields: the topic (fixed or from
  // topic_field), the key from key_field, the value from value_field. A string field is sent
  // as its bytes, a bytes field as is, null as no key / a null value, anything else as its
  // text. Validates the config (throws KafkaConfigError naming the key).
  explicit KafkaSinkBolt(KafkaSinkConfig config, SinkMapper mapper = {});
  ~KafkaSinkBolt() override;

  // Creates the producer (enable.idempotence=true).
  void prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) override;
  // Produces the input (a tick produces nothing) and serves delivery reports. Waits only while
  // librdkafka's local queue is full, at most about a second, then fails the input.
  void execute(const Tuple& input) override;
  // Waits up to flush_timeout for outstanding deliveries; fails the inputs still unconfirmed.
  void cleanup() override;

 private:
  class Impl;
  KafkaSinkConfig config_;
  SinkMapper mapper_;
  std::unique_ptr<Impl> impl_;
};

// Declares a KafkaSinkBolt with a one-second tick (topology.tick.tuple.freq.secs), so
// deliveries are confirmed even when no more input comes.
BoltDeclarer& set_kafka_sink(TopologyBuilder& builder, std::string id, KafkaSinkConfig config,
                             int parallelism = 1, SinkMapper mapper = {});

}  // namespace gale::kafka
