#include "kafka_io.h"

#include <initializer_list>
#include <stdexcept>
#include <utility>

namespace gale::bench {
namespace {

using Clock = std::chrono::steady_clock;

rd_kafka_conf_t* make_conf(std::initializer_list<std::pair<const char*, std::string>> properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("librdkafka property ") + name + ": " + error);
    }
  }
  return conf;
}

// Takes ownership of `conf`, also when it throws.
RdKafkaHandle make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof error);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("cannot create a Kafka client: ") + error);
  }
  return RdKafkaHandle(rk);
}

}  // namespace

AdProducer::AdProducer(const std::string& bootstrap_servers, std::string topic, int partitions)
    : topic_(std::move(topic)), partitions_(partitions) {
  // A large local queue, so that the producer thread stalls on the broker, not on the queue.
  rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", bootstrap_servers},
                                     {"queue.buffering.max.messages", "1000000"},
                                     {"linger.ms", "5"}});
  rd_kafka_conf_set_dr_msg_cb(conf, &AdProducer::on_delivery);
  rd_kafka_conf_set_opaque(conf, this);
  rk_ = make_client(RD_KAFKA_PRODUCER, conf);
}

AdProducer::~AdProducer() = default;

void AdProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  if (m->err) ++static_cast<AdProducer*>(opaque)->failed_;
}

void AdProducer::send(std::string_view value) {
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(next_partition_),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      next_partition_ = (next_partition_ + 1) % partitions_;
      return;
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      throw std::runtime_error("produce to " + topic_ + ": " + rd_kafka_err2str(err));
    rd_kafka_poll(rk_.get(), 1);
  }
}

void AdProducer::flush(std::chrono::milliseconds limit) {
  if (rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), static_cast<int>(limit.count())))
    throw std::runtime_error("flush to " + topic_ + ": " + rd_kafka_err2str(err));
}

double read_all(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                std::int64_t count, std::chrono::seconds limit) {
  // A group id is required even to assign; nothing is committed to it.
  RdKafkaHandle rk =
      make_client(RD_KAFKA_CONSUMER, make_conf({{"bootstrap.servers", bootstrap_servers},
                                                {"group.id", "bare-consumer"},
                                                {"enable.auto.commit", "false"}}));
  rd_kafka_topic_partition_list_t* from_start = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(from_start, topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), from_start);
  rd_kafka_topic_partition_list_destroy(from_start);
  if (err) throw std::runtime_error("assign " + topic + ": " + rd_kafka_err2str(err));

  std::int64_t got = 0;
  std::size_t bytes = 0;
  auto t0 = Clock::now();
  auto last = t0;
  while (got < count) {
    if (Clock::now() - t0 > limit)
      throw std::runtime_error("bare consumer: " + std::to_string(got) + " of " +
                               std::to_string(count) + " messages after " +
                               std::to_string(limit.count()) + " s");
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++got;
      bytes += m->len;
      last = Clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk.get());
  if (bytes == 0) throw std::runtime_error("bare consumer: every message was empty");
  return std::chrono::duration<double>(last - t0).count();
}

}  // namespace gale::bench
