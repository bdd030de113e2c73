// KafkaSinkBolt in a running topology against the mock cluster: every input becomes a message
// and is acked after delivery; inputs whose delivery fails are failed, not acked.
#include <gtest/gtest.h>

#include <set>

#include "gale/kafka/kafka_sink_bolt.h"
#include "gale/kafka/mock_cluster.h"
#include "gale/runtime/local_cluster.h"
#include "gale/testing/kafka_test_support.h"

namespace gale::kafka::testing {
namespace {

constexpr int kInputs = 40;

// ListSpout -> KafkaSinkBolt, started on construction and stopped on destruction.
struct SinkRun {
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  std::unique_ptr<runtime::LocalCluster> cluster;

  explicit SinkRun(KafkaSinkConfig config, SinkMapper mapper = {}, bool replay = false) {
    TopologyBuilder b;
    b.set_spout("list", [probe = probe, replay]() -> std::unique_ptr<Spout> {
      return std::make_unique<ListSpout>(probe, kInputs, replay);
    });
    set_kafka_sink(b, "sink", std::move(config), 1, std::move(mapper)).shuffle_grouping("list");
    cluster = std::make_unique<runtime::LocalCluster>("sink", b.build(), topology_config());
    cluster->start();
  }
  ~SinkRun() { cluster->stop(); }

  std::size_t acked() {
    return probe->with([&] { return probe->acked.size(); });
  }
  std::size_t failed() {
    return probe->with([&] { return probe->failed.size(); });
  }
};

class KafkaSinkTest : public ::testing::Test {
 protected:
  KafkaSinkConfig sink_config(const std::string& topic) {
    KafkaSinkConfig c;
    c.bootstrap_servers = cluster_.bootstrap_servers();
    c.topic = topic;
    c.key_field = "key";
    c.value_field = "value";
    return c;
  }

  MockCluster cluster_{1};
};

TEST_F(KafkaSinkTest, EveryInputBecomesOneMessageAndIsAckedAfterDelivery) {
  cluster_.create_topic("alerts", 3);
  SinkRun run(sink_config("alerts"));

  ASSERT_TRUE(eventually([&] { return run.acked() == kInputs; })) << run.acked();
  EXPECT_EQ(run.failed(), 0u);
  std::vector<Message> got = consume(cluster_.bootstrap_servers(), "alerts", 3, kInputs);
  std::set<std::pair<std::string, std::string>> messages;
  for (const Message& m : got)
    messages.emplace(m.key.value_or("<none>"), m.value.value_or("<null>"));
  std::set<std::pair<std::string, std::string>> expected;
  for (int i = 0; i < kInputs; ++i)
    expected.emplace("k" + std::to_string(i), "v" + std::to_string(i));
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kInputs)) << "a message was produced twice";
  EXPECT_EQ(messages, expected);
}

TEST_F(KafkaSinkTest, AMapperChoosesTopicKeyAndValue) {
  cluster_.create_topic("even", 1);
  cluster_.create_topic("odd", 1);
  SinkRun run(sink_config(""), [](const Tuple& t) {
    int i = std::stoi(t.get("key").as_string().substr(1));
    return SinkRecord{i % 2 == 0 ? "even" : "odd", std::nullopt, "#" + std::to_string(i)};
  });

  ASSERT_TRUE(eventually([&] { return run.acked() == kInputs; })) << run.acked();
  std::vector<Message> even = consume(cluster_.bootstrap_servers(), "even", 1, kInputs / 2);
  ASSERT_EQ(even.size(), static_cast<std::size_t>(kInputs / 2));
  for (const Message& m : even) {
    EXPECT_FALSE(m.key.has_value());
    EXPECT_EQ(std::stoi(m.value->substr(1)) % 2, 0) << *m.value;
  }
}

TEST_F(KafkaSinkTest, InputsAreFailedNotAckedWhenTheBrokerRefusesThem) {
  cluster_.create_topic("alerts", 1);
  std::vector<rd_kafka_resp_err_t> errors(200, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  cluster_.push_request_errors(kApiProduce, errors);
  SinkRun run(sink_config("alerts"));

  ASSERT_TRUE(eventually([&] { return run.failed() == kInputs; }))
      << run.failed() << " failed, " << run.acked() << " acked";
  EXPECT_EQ(run.acked(), 0u);
}

TEST_F(KafkaSinkTest, InputsAreFailedWhenTheTopicDoesNotExist) {
  cluster_.set_topic_error("nowhere", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  KafkaSinkConfig config = sink_config("nowhere");
  // How long the producer waits for an unknown topic to appear before failing its messages.
  config.producer_properties = {{"topic.metadata.propagation.max.ms", "500"}};
  SinkRun run(config);

  ASSERT_TRUE(eventually([&] { return run.failed() == kInputs; }))
      << run.failed() << " failed, " << run.acked() << " acked";
  EXPECT_EQ(run.acked(), 0u);
}

TEST_F(KafkaSinkTest, AFatalProducerErrorFailsTheInputsAndANewProducerTakesOver) {
  cluster_.create_topic("alerts", 1);
  // An idempotent producer cannot continue after the broker reports a sequence gap.
  cluster_.push_request_errors(kApiProduce, {RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER});
  SinkRun run(sink_config("alerts"), {}, /*replay=*/true);

  ASSERT_TRUE(eventually([&] { return run.acked() == kInputs; }))
      << run.acked() << " acked, " << run.failed() << " failed";
  EXPECT_GT(run.failed(), 0u) << "the fatal error failed no input";
  std::vector<Message> got = consume(cluster_.bootstrap_servers(), "alerts", 1, kInputs);
  std::set<std::string> values;
  for (const Message& m : got) values.insert(m.value.value_or("<null>"));
  EXPECT_EQ(values.size(), static_cast<std::size_t>(kInputs)) << "an acked input is missing";
}

}  // namespace
}  // namespace gale::kafka::testing
