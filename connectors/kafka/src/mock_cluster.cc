#include "gale/kafka/mock_cluster.h"

#include <stdexcept>

#include "rdkafka_client.h"

namespace gale::kafka {

MockCluster::MockCluster(int brokers) {
  if (brokers < 1) throw std::invalid_argument("a mock cluster needs at least one broker");
  // The owner never connects anywhere; it only hosts the cluster. Without bootstrap servers
  // librdkafka would warn that it cannot connect, so let it log errors only.
  ClientHandle owner = make_client(RD_KAFKA_PRODUCER, make_conf({{"log_level", "3", "log_level"}}));
  cluster_ = rd_kafka_mock_cluster_new(owner.get(), brokers);
  if (cluster_ == nullptr) throw std::runtime_error("cannot start a librdkafka mock cluster");
  owner_ = owner.release();
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

MockCluster::~MockCluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(owner_);
}

void MockCluster::create_topic(const std::string& topic, int partitions, int replication_factor) {
  // The mock itself would accept a topic without partitions, which no client can use.
  if (partitions < 1) {
    throw std::invalid_argument("mock cluster: topic '" + topic + "' needs at least one partition");
  }
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication_factor);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("mock cluster: cannot create topic '" + topic + "' with " +
                             std::to_string(partitions) + " partitions: " + rd_kafka_err2str(err));
  }
}

void MockCluster::push_request_errors(std::int16_t api_key,
                                      const std::vector<rd_kafka_resp_err_t>& errors) {
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
}

void MockCluster::set_topic_error(const std::string& topic, rd_kafka_resp_err_t err) {
  rd_kafka_mock_topic_set_error(cluster_, topic.c_str(), err);
}

}  // namespace gale::kafka
