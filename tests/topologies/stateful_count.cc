// test_stateful_count.so: exactly-once state on the cluster. A Kafka spout (kafka.* keys, one
// tuple per message: key and value) feeds a stateful bolt that counts how often it has seen each
// value, in checkpointed state (topology.state.*). Every value is produced once, so after any
// number of worker deaths every count in the last checkpoint must be exactly 1.
#include <gale/gale.h>
#include <gale/kafka/kafka_spout.h>

namespace {

class SeenBolt : public gale::StatefulBolt {
 public:
  void prepare(const gale::Config&, gale::TopologyContext&, gale::OutputCollector& out) override {
    out_ = &out;
  }
  void init_state(gale::StateContext& state) override {
    seen_ = &state.key_value<std::string, std::int64_t>("seen");
  }
  void execute(const gale::Tuple& in) override {
    seen_->mutate(in.get(1).as_string()) += 1;
    out_->ack(in);
  }

 private:
  gale::OutputCollector* out_ = nullptr;
  gale::KeyValueState<std::string, std::int64_t>* seen_ = nullptr;
};

}  // namespace

GALE_TOPOLOGY(stateful_count, const gale::Config& conf) {
  auto config = gale::kafka::KafkaSpoutConfig::from(conf);
  gale::TopologyBuilder b;
  b.set_spout(
      "words",
      [config] {
        return std::make_unique<gale::kafka::KafkaSpout>(
            config, gale::kafka::RecordTranslator::key_and_value());
      },
      2);
  b.set_bolt(
       "count", [] { return std::make_unique<SeenBolt>(); }, 2)
      .set_num_tasks(4)
      .fields_grouping("words", gale::Fields{"value"});
  return b.build();
}
