#pragma once
// RAII for librdkafka's C handles, and building a client from properties with errors that
// name the Gale key a property came from.
#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <vector>

namespace gale::kafka {

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
using ClientHandle = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, RdKafkaDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaDeleter>;
using MessageHandle = std::unique_ptr<rd_kafka_message_t, RdKafkaDeleter>;
using TopicHandle = std::unique_ptr<rd_kafka_topic_t, RdKafkaDeleter>;

// One librdkafka property and the Gale config key it came from (for error messages).
struct Property {
  std::string name;
  std::string value;
  std::string source;
};

// Throws KafkaConfigError naming the property's source when librdkafka refuses it.
ConfHandle make_conf(const std::vector<Property>& properties);
// Takes ownership of `conf`. Throws std::runtime_error with librdkafka's reason.
ClientHandle make_client(rd_kafka_type_t type, ConfHandle conf);

inline PartitionList make_partition_list(int size = 1) {
  return PartitionList(rd_kafka_topic_partition_list_new(size));
}

}  // namespace gale::kafka
