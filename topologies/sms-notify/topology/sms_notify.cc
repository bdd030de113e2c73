// sms-notify: account changes -> parse -> customer profile from Redis (filter) -> SMS through
// the gateway, once per event. See README.md for the components, the keys and the guarantees.
#include <gale/gale.h>
#include <spdlog/spdlog.h>

#include <deque>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "gale/events/events.h"
#include "gale/events/generator.h"
#include "gale/kafka/kafka_sink_bolt.h"
#include "gale/kafka/kafka_spout.h"
#include "gale/notify/idempotent_sender.h"
#include "gale/notify/templates.h"
#include "gale/redis/bolts.h"

namespace gale::notify {
namespace {

constexpr const char* kDeadLetterStream = "dead-letter";

// The change fields, then the profile fields the lookup adds.
Fields change_fields() {
  return Fields{
      "event_id", "account",        "customer",    "kind", "amount_minor", "balance_after_minor",
      "currency", "transaction_id", "description", "ts_ms"};
}
Values change_values(const events::AccountChange& c) {
  return Values{
      c.event_id, c.account,        c.customer,    c.kind, c.amount_minor, c.balance_after_minor,
      c.currency, c.transaction_id, c.description, c.ts_ms};
}
events::AccountChange change_of(const Tuple& in) {
  events::AccountChange c;
  c.event_id = in.get(0).as_string();
  c.account = in.get(1).as_string();
  c.customer = in.get(2).as_string();
  c.kind = in.get(3).as_string();
  c.amount_minor = in.get(4).as_int();
  c.balance_after_minor = in.get(5).as_int();
  c.currency = in.get(6).as_string();
  c.transaction_id = in.get(7).as_string();
  c.description = in.get(8).as_string();
  c.ts_ms = in.get(9).as_int();
  return c;
}
Fields notify_fields() {
  std::vector<std::string> names = change_fields().names();
  for (const char* f : {"phone", "name", "language"}) names.emplace_back(f);
  return Fields(names);
}

// ---- the built-in sample data ----------------------------------------------------------------

class SampleChangeSpout : public Spout {
 public:
  void open(const Config& conf, TopologyContext&, SpoutCollector& out) override {
    out_ = &out;
    events::GeneratorOptions options;
    options.seed = static_cast<std::uint64_t>(conf.get_int("sms.sample.seed", 42));
    options.accounts = static_cast<int>(conf.get_int("sms.sample.accounts", 500));
    count_ = conf.get_int("sms.sample.count", 2000);
    generator_ = std::make_unique<events::AccountChangeGenerator>(options);
  }
  void next_tuple() override {
    if (replay_.replay_one(*out_)) return;
    if (next_ >= count_) return;
    auto change = generator_->next();
    replay_.emit(*out_, {change.account, events::to_json(change)}, static_cast<MessageId>(next_++));
  }
  void ack(MessageId id) override { replay_.ack(id); }
  void fail(MessageId id) override { replay_.fail(id); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"key", "value"}); }

 private:
  SpoutCollector* out_ = nullptr;
  std::unique_ptr<events::AccountChangeGenerator> generator_;
  ReplayBuffer replay_;
  std::int64_t count_ = 0;
  std::int64_t next_ = 0;
};

// ---- parse -----------------------------------------------------------------------------------

class ParseBolt : public BasicBolt {
 public:
  void prepare(const Config&, TopologyContext& context) override {
    changes_ = &context.metrics().counter("account_changes");
    dead_letters_ = &context.metrics().counter("dead_letters");
  }
  void execute(const Tuple& in, BasicCollector& out) override {
    const Value& raw = in.get(1);
    auto parsed = events::parse_account_change(raw.is_string() ? std::string_view(raw.as_string())
                                                               : std::string_view{});
    if (parsed) {
      changes_->add();
      out.emit(change_values(parsed.value()));
      return;
    }
    dead_letters_->add();
    std::string reason = raw.is_string() ? parsed.error().message : "the message has no value";
    if (logged_.insert(reason.substr(0, reason.find(':'))).second)
      spdlog::warn("sms-notify: malformed account change sent to the dead letters: {}", reason);
    out.emit(kDeadLetterStream, {in.get(0).is_string() ? in.get(0) : Value(""),
                                 raw.is_string() ? raw : Value(""), reason});
  }
  void declare_outputs(OutputDeclarer& d) const override {
    d.declare(change_fields());
    d.declare_stream(kDeadLetterStream, {"key", "value", "reason"});
  }

 private:
  std::set<std::string> logged_;
  Counter* changes_ = nullptr;
  Counter* dead_letters_ = nullptr;
};

// ---- profile lookup and filter ---------------------------------------------------------------

// customer:<id> is a hash: phone, name, language, notify_threshold_minor, opted_in.
events::CustomerProfile profile_of(const std::map<std::string, std::string>& hash) {
  events::CustomerProfile p;
  auto get = [&](const char* f) {
    auto it = hash.find(f);
    return it == hash.end() ? std::string() : it->second;
  };
  p.phone = get("phone");
  p.name = get("name");
  p.language = get("language");
  std::string threshold = get("notify_threshold_minor");
  p.notify_threshold_minor = threshold.empty() ? 0 : std::stoll(threshold);
  p.opted_in = get("opted_in") == "true" || get("opted_in") == "1";
  return p;
}

std::unique_ptr<Bolt> profile_lookup() {
  return std::make_unique<redis::RedisLookupBolt>(
      [](const Tuple& in) {
        return redis::Command{"HGETALL", "customer:" + in.get(2).as_string()};
      },
      [](const Tuple& in, const redis::Reply& reply) -> std::vector<Values> {
        auto hash = redis::field_map(reply);
        if (hash.empty()) return {};  // no profile: nobody to tell
        auto profile = profile_of(hash);
        auto change = change_of(in);
        // Only opted-in customers, and only changes at or over their threshold.
        if (!profile.opted_in || change.amount_minor < profile.notify_threshold_minor) return {};
        Values v = change_values(change);
        v.insert(v.end(), {profile.phone, profile.name, profile.language});
        return {v};
      },
      notify_fields());
}

// ---- notify ----------------------------------------------------------------------------------

std::string templates_path(const Config& conf) {
  std::string setting = conf.get_string("sms.templates", "");
  if (!setting.starts_with("blob:")) return setting;
  std::string path = blob_path(conf, setting.substr(5));
  if (path.empty())
    throw std::invalid_argument("sms.templates: '" + setting +
                                "' names a blob, but the topology has no topology.blobs.dir");
  return path;
}

// Renders and sends each message once (IdempotentSender), records the outcome in Redis
// (sms:outcomes stream), and fails the input when it is worth retrying.
class NotifyBolt : public Bolt {
 public:
  void prepare(const Config& conf, TopologyContext& context, OutputCollector& out) override {
    out_ = &out;
    // docs/METRICS.md: sent, refused for good, and sends failed for a retry.
    MetricGroup& m = context.metrics();
    sent_ = &m.counter("sms_sent");
    duplicates_ = &m.counter("sms_duplicates");
    refused_ = &m.counter("sms_failed", {{"outcome", "refused"}});
    retried_ = &m.counter("sms_failed", {{"outcome", "retry"}});
    std::string path = templates_path(conf);
    auto load =
        path.empty() ? Templates::load(Templates::default_yaml()) : Templates::load_file(path);
    if (!load) throw std::invalid_argument("sms.templates: " + load.error().message);
    templates_ = load.value();
    redis_.emplace(redis::ConnectionOptions::from_config(conf));
    gateway_ = std::make_unique<sms::SmsGatewayClient>(sms::GatewayOptions::from_config(conf));
    SenderOptions options;
    options.lease = std::chrono::milliseconds(conf.get_int("sms.claim.lease.ms", 60000));
    options.remember = std::chrono::seconds(conf.get_int("sms.dedup.ttl.secs", 7 * 24 * 3600));
    sender_ = std::make_unique<IdempotentSender>(*redis_, *gateway_, options);
    outcomes_ = conf.get_string("sms.outcomes.stream", "sms:outcomes");
  }

  void execute(const Tuple& in) override {
    auto change = change_of(in);
    events::CustomerProfile profile;
    profile.phone = in.get(10).as_string();
    profile.name = in.get(11).as_string();
    profile.language = in.get(12).as_string();
    sms::SmsMessage message{profile.phone, templates_->render(change, profile), change.event_id};
    auto outcome = sender_->send(change.event_id, message);
    switch (outcome.kind) {
      case SendOutcome::Kind::sent:
        (void)redis_->command({"XADD", outcomes_, "MAXLEN", "~", "100000", "*", "event",
                               change.event_id, "to", profile.phone, "status", "sent", "message_id",
                               outcome.message_id});
        sent_->add();
        out_->ack(in);
        return;
      case SendOutcome::Kind::duplicate:
        duplicates_->add();
        out_->ack(in);
        return;
      case SendOutcome::Kind::gateway_error:
        if (!outcome.retryable) {
          refused_->add();
          out_->report_error("SMS for " + change.event_id + " refused for good: " + outcome.error);
          out_->ack(in);
          return;
        }
        [[fallthrough]];
      case SendOutcome::Kind::in_flight:
      case SendOutcome::Kind::redis_error:
        if (outcome.kind != SendOutcome::Kind::in_flight && !failing_) {
          out_->report_error(std::string(kind_name(outcome.kind)) + ": " + outcome.error);
          spdlog::warn("sms-notify: {} ({}); failing inputs until it recovers", outcome.error,
                       kind_name(outcome.kind));
        }
        failing_ = outcome.kind != SendOutcome::Kind::in_flight;
        retried_->add();
        out_->fail(in);  // replayed by the spout after its backoff
        return;
    }
  }

 private:
  OutputCollector* out_ = nullptr;
  std::shared_ptr<const Templates> templates_;
  std::optional<redis::RedisClient> redis_;
  std::unique_ptr<sms::SmsGatewayClient> gateway_;
  std::unique_ptr<IdempotentSender> sender_;
  std::string outcomes_;
  bool failing_ = false;
  Counter *sent_ = nullptr, *duplicates_ = nullptr, *refused_ = nullptr, *retried_ = nullptr;
};

// Dead letters kept in Redis (a list) when there is no Kafka to put them on.
redis::StoreMapper dead_letter_to_redis(const Config& conf) {
  std::string list = conf.get_string("sms.deadletter.list", "sms:dead-letters");
  return [list](const Tuple& in) {
    return std::vector<redis::Command>{
        {"LPUSH", list,
         events::dead_letter_json(in.get(0).as_string(), in.get(1).as_string(),
                                  in.get(2).as_string())}};
  };
}

}  // namespace
}  // namespace gale::notify

GALE_TOPOLOGY(sms_notify, const gale::Config& conf) {
  using namespace gale;
  using namespace gale::notify;
  TopologyBuilder builder;
  const std::string source = conf.get_string("sms.source", "sample");
  const int spouts = static_cast<int>(conf.get_int("sms.spout.parallelism", 1));
  if (source == "kafka") {
    auto config = kafka::KafkaSpoutConfig::from(conf);
    builder.set_spout(
        "changes",
        [config] {
          return std::make_unique<kafka::KafkaSpout>(config,
                                                     kafka::RecordTranslator::key_and_value());
        },
        spouts);
  } else if (source == "sample") {
    builder.set_spout(
        "changes", [] { return std::make_unique<SampleChangeSpout>(); }, spouts);
  } else {
    throw std::invalid_argument("sms.source: expected 'sample' or 'kafka', got '" + source + "'");
  }
  if (conf.get_string(sms::conf::kGatewayUrl, "").empty())
    throw std::invalid_argument(std::string(sms::conf::kGatewayUrl) +
                                ": required (the SMS gateway, e.g. http://127.0.0.1:8025/sms)");
  builder
      .set_bolt(
          "parse", [] { return std::make_unique<ParseBolt>(); },
          static_cast<int>(conf.get_int("sms.parse.parallelism", 1)))
      .local_or_shuffle_grouping("changes");
  builder
      .set_bolt(
          "profile", [] { return profile_lookup(); },
          static_cast<int>(conf.get_int("sms.profile.parallelism", 1)))
      .shuffle_grouping("parse")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  builder
      .set_bolt(
          "notify", [] { return std::make_unique<NotifyBolt>(); },
          static_cast<int>(conf.get_int("sms.notify.parallelism", 2)))
      .shuffle_grouping("profile");
  if (!conf.get_string("kafka.bootstrap.servers", "").empty() && source == "kafka") {
    kafka::KafkaSinkConfig sink;
    sink.bootstrap_servers = conf.get_string("kafka.bootstrap.servers", "");
    sink.topic = conf.get_string("sms.deadletter.topic", "account-changes-dlq");
    sink.key_field = "key";
    kafka::set_kafka_sink(builder, "dead-letters", sink, 1, [](const Tuple& in) {
      return kafka::SinkRecord{
          "", in.get(0).as_string(),
          events::dead_letter_json(in.get(0).as_string(), in.get(1).as_string(),
                                   in.get(2).as_string())};
    }).shuffle_grouping("parse", kDeadLetterStream);
  } else {
    auto mapper = dead_letter_to_redis(conf);
    builder
        .set_bolt("dead-letters",
                  [mapper] { return std::make_unique<redis::RedisStoreBolt>(mapper); })
        .shuffle_grouping("parse", kDeadLetterStream)
        .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  }
  return builder.build();
}
