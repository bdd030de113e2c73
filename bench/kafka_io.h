#pragma once
// The Yahoo benchmark's own Kafka clients, on librdkafka's C API: the event producer, and the
// bare consumer of the baseline (what reading the topic costs with nothing behind it).
//
// Threading: a producer belongs to one thread.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace gale::bench {

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafkaHandle = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

class AdProducer {
 public:
  // Throws std::runtime_error with librdkafka's reason.
  AdProducer(const std::string& bootstrap_servers, std::string topic, int partitions);
  ~AdProducer();
  AdProducer(const AdProducer&) = delete;
  AdProducer& operator=(const AdProducer&) = delete;

  // Queues one message (copied), no key, to the partitions in turn (even, so that no
  // partition outgrows what the mock broker keeps). While librdkafka's queue is full, serves
  // delivery reports and tries again: the broker's pace holds the producer back.
  void send(std::string_view value);
  // Serves delivery reports without waiting.
  void poll() { rd_kafka_poll(rk_.get(), 0); }
  // Waits until every queued message is delivered; throws if that takes longer than `limit`.
  void flush(std::chrono::milliseconds limit);
  // Messages the broker refused (delivery reports with an error).
  std::int64_t failed() const { return failed_; }

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);

  std::string topic_;
  int partitions_;
  std::int32_t next_partition_ = 0;
  RdKafkaHandle rk_;
  std::int64_t failed_ = 0;
};

// Reads `topic`'s `partitions` from their first offset, outside any consumer group (assign,
// no commits), until `count` messages arrived; returns the seconds from the first poll to the
// last message. Throws if that takes longer than `limit`.
double read_all(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                std::int64_t count, std::chrono::seconds limit);

}  // namespace gale::bench
