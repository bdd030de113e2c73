#pragma once
// MockCluster: librdkafka's in-process mock Kafka cluster (it speaks the real protocol on
// loopback TCP ports), for tests and the gale-kafka-dev development broker. Data is kept in
// memory only; nothing survives the object. Not for production.
//
// The brokers listen on 127.0.0.1, on ports the system picks. The mock supports producing
// (also idempotent), consuming, consumer groups with committed offsets and metadata, but not
// the admin API: create topics with create_topic().
//
// Threading: the cluster runs on librdkafka's threads; the methods may be called from any
// thread.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gale::kafka {

class MockCluster {
 public:
  // Starts `brokers` brokers (ids 1..brokers). Throws std::runtime_error if librdkafka cannot.
  explicit MockCluster(int brokers = 1);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:port,127.0.0.1:port,...": the value for bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_; }

  // Throws naming the topic if partitions < 1 or the mock refuses.
  void create_topic(const std::string& topic, int partitions, int replication_factor = 1);

  // The next errors.size() requests of type `api_key` (kApiProduce, ...) fail with these
  // errors, in order.
  void push_request_errors(std::int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors);
  // Metadata requests for `topic` report `err` (RD_KAFKA_RESP_ERR_NO_ERROR clears it).
  void set_topic_error(const std::string& topic, rd_kafka_resp_err_t err);

  // For the rest of rdkafka_mock.h (broker down/up, round-trip times, ...).
  rd_kafka_mock_cluster_t* handle() const { return cluster_; }

 private:
  rd_kafka_t* owner_ = nullptr;  // the client the mock cluster lives on
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

// The Kafka protocol's API key of produce requests, for push_request_errors.
inline constexpr std::int16_t kApiProduce = 0;

}  // namespace gale::kafka
