#include "kafka_producer.h"

#include <fmt/format.h>

#include <stdexcept>

namespace gale::eventgen {

namespace {

constexpr int kConnectTimeoutMs = 5000;
constexpr int kFlushTimeoutMs = 60'000;
constexpr const char* kMessageTimeoutMs = "30000";

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(fmt::format("Kafka setting {}={}: {}", key, value, error));
  }
}

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};

}  // namespace

KafkaProducer::KafkaProducer(const std::string& brokers, const std::string& topic)
    : brokers_(brokers), topic_(topic) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "message.timeout.ms", kMessageTimeoutMs);
  set(conf, "linger.ms", "5");
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  // Connection trouble comes back in one clear message, not as librdkafka's log lines.
  rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
  char error[512];
  producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
  if (!producer_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(fmt::format("cannot create a Kafka producer: {}", error));
  }

  std::unique_ptr<rd_kafka_topic_t, TopicDeleter> handle(
      rd_kafka_topic_new(producer_.get(), topic.c_str(), nullptr));
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(producer_.get(), 0, handle.get(), &raw, kConnectTimeoutMs);
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> metadata(raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(
        fmt::format("cannot reach Kafka at {}: {}", brokers,
                    last_error_.empty() ? rd_kafka_err2str(err) : last_error_));
  if (metadata->topic_cnt == 1 &&
      metadata->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    throw std::runtime_error(fmt::format("topic '{}' does not exist on {}", topic, brokers));
}

KafkaProducer::~KafkaProducer() = default;

void KafkaProducer::send(std::string_view key, std::string_view value) {
  for (;;) {
    rd_kafka_resp_err_t err =
        rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
                          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      throw std::runtime_error(
          fmt::format("cannot queue a message for {}: {}", topic_, rd_kafka_err2str(err)));
    rd_kafka_poll(producer_.get(), 100);  // delivery reports make room
  }
  rd_kafka_poll(producer_.get(), 0);
}

void KafkaProducer::flush() {
  rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), kFlushTimeoutMs);
  if (failed_ > 0)
    throw std::runtime_error(fmt::format("{} of the messages were not delivered to {} on {}: {}",
                                         failed_, topic_, brokers_, first_failure_));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(fmt::format("{} messages still undelivered to {} after {} s",
                                         rd_kafka_outq_len(producer_.get()), brokers_,
                                         kFlushTimeoutMs / 1000));
}

void KafkaProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<KafkaProducer*>(opaque);
  if (self->failed_++ == 0) self->first_failure_ = rd_kafka_err2str(message->err);
}

void KafkaProducer::on_error(rd_kafka_t*, int, const char* reason, void* opaque) {
  static_cast<KafkaProducer*>(opaque)->last_error_ = reason;
}

}  // namespace gale::eventgen
