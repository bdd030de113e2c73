#pragma once
// gale-gen's Kafka output: librdkafka's C producer behind RAII, keyed messages to one topic.
// Used from one thread.
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace gale::eventgen {

class KafkaProducer {
 public:
  // Connects to `brokers` ("host:port,...") and checks within a few seconds that one answers
  // and that `topic` exists; throws std::runtime_error with what went wrong otherwise.
  KafkaProducer(const std::string& brokers, const std::string& topic);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues one message; blocks while librdkafka's local queue is full.
  void send(std::string_view key, std::string_view value);
  // Waits until every queued message is delivered or has failed; throws naming the first
  // delivery failure and how many failed.
  void flush();

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);
  static void on_error(rd_kafka_t*, int, const char* reason, void* opaque);

  std::string brokers_;
  std::string topic_;
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> producer_{nullptr, rd_kafka_destroy};
  std::int64_t failed_ = 0;
  std::string first_failure_;
  std::string last_error_;  // from librdkafka's error callback, e.g. "Connection refused"
};

}  // namespace gale::eventgen
