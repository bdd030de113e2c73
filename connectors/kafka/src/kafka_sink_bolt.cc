#include "gale/kafka/kafka_sink_bolt.h"

#include <chrono>
#include <stdexcept>
#include <unordered_map>

#include "client_settings.h"
#include "failure_log.h"
#include "rdkafka_client.h"

namespace gale::kafka {
namespace {

// How long execute() waits, in total, for room in librdkafka's local queue.
constexpr int kQueueFullWaits = 100;
constexpr int kQueueFullWaitMs = 10;

std::optional<std::string> field_bytes(const Tuple& t, const std::string& field) {
  const Value& v = t.get(field);
  switch (v.type()) {
    case Value::Type::null:
      return std::nullopt;
    case Value::Type::string:
      return v.as_string();
    case Value::Type::bytes:
      return std::string(v.as_bytes().begin(), v.as_bytes().end());
    default:
      return v.to_string();
  }
}

SinkRecord record_from_fields(const KafkaSinkConfig& c, const Tuple& t) {
  SinkRecord r;
  if (!c.topic_field.empty()) r.topic = t.get(c.topic_field).as_string();
  if (!c.key_field.empty()) r.key = field_bytes(t, c.key_field);
  r.value = field_bytes(t, c.value_field);
  return r;
}

const void* data_of(const std::optional<std::string>& s) {
  return s ? s->data() : nullptr;
}
std::size_t size_of(const std::optional<std::string>& s) {
  return s ? s->size() : 0;
}

}  // namespace

class KafkaSinkBolt::Impl {
 public:
  Impl(const KafkaSinkConfig& config, const SinkMapper& mapper, OutputCollector& out,
       const TopologyContext& context);
  // Without cleanup() the collector may be gone: unconfirmed inputs are left to time out.
  ~Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void execute(const Tuple& input);
  void cleanup() { close_producer(config_.flush_timeout); }

 private:
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  ClientHandle create_producer();
  void produce(const Tuple& input);
  // Fails the input; `kind` groups repeats of the same failure in the log.
  void reject(const Tuple& input, const std::string& kind, const std::string& why);
  void report(const std::string& kind, const std::string& detail);
  void recover_from_fatal_error();
  // Flushes for up to `wait`, then fails whatever is still unconfirmed.
  void close_producer(std::chrono::milliseconds wait);

  const KafkaSinkConfig& config_;
  const SinkMapper& mapper_;
  OutputCollector& out_;
  std::string client_id_;
  ClientHandle producer_;
  std::unordered_map<std::uint64_t, Tuple> in_flight_;  // by the message's opaque
  std::uint64_t next_id_ = 1;
  FailureLog failures_;
};

KafkaSinkBolt::Impl::Impl(const KafkaSinkConfig& config, const SinkMapper& mapper,
                          OutputCollector& out, const TopologyContext& context)
    : config_(config),
      mapper_(mapper),
      out_(out),
      client_id_("gale-" + context.topology_name() + "-" + context.this_component() + "-" +
                 std::to_string(context.this_task())),
      producer_(create_producer()) {}

ClientHandle KafkaSinkBolt::Impl::create_producer() {
  std::vector<Property> props = producer_settings(config_);
  if (!config_.producer_properties.contains("client.id"))
    props.push_back({"client.id", client_id_, "(set by the sink)"});
  ConfHandle conf = make_conf(props);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Impl::on_delivery);
  return make_client(RD_KAFKA_PRODUCER, std::move(conf));
}

void KafkaSinkBolt::Impl::execute(const Tuple& input) {
  recover_from_fatal_error();
  if (!input.is_tick()) produce(input);
  rd_kafka_poll(producer_.get(), 0);
}

void KafkaSinkBolt::Impl::produce(const Tuple& input) {
  SinkRecord r;
  try {
    r = mapper_ ? mapper_(input) : record_from_fields(config_, input);
  } catch (const std::exception& e) {
    reject(input, "mapping", std::string("cannot make a message of the input: ") + e.what());
    return;
  }
  if (r.topic.empty()) r.topic = config_.topic;
  if (r.topic.empty()) {
    reject(input, "no topic", "no topic for the message (set " + config_.prefix + "topic)");
    return;
  }
  std::uint64_t id = next_id_++;
  in_flight_.emplace(id, input);
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int attempt = 0; attempt <= kQueueFullWaits; ++attempt) {
    err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(r.topic.c_str()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(const_cast<void*>(data_of(r.key)), size_of(r.key)),
        RD_KAFKA_V_VALUE(const_cast<void*>(data_of(r.value)), size_of(r.value)),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(id))),
        RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
    // The local queue drains as deliveries complete; serving them makes room.
    rd_kafka_poll(producer_.get(), kQueueFullWaitMs);
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    in_flight_.erase(id);
    reject(input, std::string("produce ") + rd_kafka_err2name(err),
           "produce to " + r.topic + ": " + rd_kafka_err2str(err));
  }
}

void KafkaSinkBolt::Impl::reject(const Tuple& input, const std::string& kind,
                                 const std::string& why) {
  report(kind, why);
  out_.fail(input);
}

void KafkaSinkBolt::Impl::report(const std::string& kind, const std::string& detail) {
  std::string line = failures_.note(kind, "Kafka sink: " + detail);
  if (!line.empty()) out_.report_error(line);
}

void KafkaSinkBolt::Impl::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<Impl*>(opaque);
  auto id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(m->_private));
  auto it = self->in_flight_.find(id);
  if (it == self->in_flight_.end()) return;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->out_.ack(it->second);
  } else {
    self->report(std::string("delivery ") + rd_kafka_err2name(m->err),
                 std::string("delivery to ") + rd_kafka_topic_name(m->rkt) +
                     " failed: " + rd_kafka_err2str(m->err));
    self->out_.fail(it->second);
  }
  self->in_flight_.erase(it);
}

void KafkaSinkBolt::Impl::recover_from_fatal_error() {
  char reason[512];
  if (rd_kafka_fatal_error(producer_.get(), reason, sizeof reason) == RD_KAFKA_RESP_ERR_NO_ERROR)
    return;
  // An idempotent producer that hit a fatal error refuses every further message.
  std::string what = std::string("Kafka sink: producer failed fatally (") + reason +
                     "); unconfirmed inputs are failed and a new producer is created";
  out_.report_error(what);
  close_producer(std::chrono::milliseconds(0));
  producer_ = create_producer();
}

void KafkaSinkBolt::Impl::close_producer(std::chrono::milliseconds wait) {
  if (!producer_) return;
  rd_kafka_flush(producer_.get(), static_cast<int>(wait.count()));
  if (!in_flight_.empty()) {
    // Purged messages get a delivery report with an error, which fails their inputs.
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_.get(), 0);
  }
  for (auto& [id, input] : in_flight_) out_.fail(input);
  in_flight_.clear();
  producer_.reset();
}

KafkaSinkBolt::KafkaSinkBolt(KafkaSinkConfig config, SinkMapper mapper)
    : config_(std::move(config)), mapper_(std::move(mapper)) {
  config_.validate(!mapper_);
}

KafkaSinkBolt::~KafkaSinkBolt() = default;

void KafkaSinkBolt::prepare(const Config&, TopologyContext& context, OutputCollector& collector) {
  impl_ = std::make_unique<Impl>(config_, mapper_, collector, context);
}

void KafkaSinkBolt::execute(const Tuple& input) {
  impl_->execute(input);
}

void KafkaSinkBolt::cleanup() {
  if (impl_) impl_->cleanup();
  impl_.reset();
}

BoltDeclarer& set_kafka_sink(TopologyBuilder& builder, std::string id, KafkaSinkConfig config,
                             int parallelism, SinkMapper mapper) {
  return builder
      .set_bolt(
          std::move(id),
          [config = std::move(config), mapper = std::move(mapper)]() -> std::unique_ptr<Bolt> {
            return std::make_unique<KafkaSinkBolt>(config, mapper);
          },
          parallelism)
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
}

}  // namespace gale::kafka
