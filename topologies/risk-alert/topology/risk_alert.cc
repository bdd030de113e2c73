// risk-alert: transactions -> parse -> rules (per account) -> alerts to Redis, Kafka and the
// log. See README.md for the components, the config keys and the guarantees.
#include <gale/gale.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "gale/events/events.h"
#include "gale/events/generator.h"
#include "gale/kafka/kafka_sink_bolt.h"
#include "gale/kafka/kafka_spout.h"
#include "gale/redis/bolts.h"
#include "gale/risk/engine.h"
#include "gale/risk/redis_history.h"
#include "gale/risk/rules.h"
#include "transaction_values.h"

namespace gale::risk {
namespace {

constexpr const char* kDeadLetterStream = "dead-letter";
constexpr const char* kAlertStream = "alerts";

// ---- the built-in sample data ----------------------------------------------------------------

// A spout's position in a checkpoint is how far it has gone in its own share of the input,
// with the number of tasks that split it: "<tasks>:<next>". Restored by as many tasks, a task
// goes on from its own; by another number, the shares are not the same, and it starts over
// (the rules count a transaction read again once: at-least-once input, exactly-once windows).
std::string position_of(std::size_t tasks, std::int64_t next) {
  return std::to_string(tasks) + ":" + std::to_string(next);
}

std::int64_t own_position(const std::vector<std::string>& positions, std::size_t own,
                          std::size_t tasks) {
  const std::string& p = positions.at(own);
  if (p.empty()) return 0;  // this task stored none
  std::size_t stored_tasks = 0;
  std::int64_t next = 0;
  const char* end = p.data() + p.size();
  auto [colon, ec] = std::from_chars(p.data(), end, stored_tasks);
  if (ec == std::errc() && colon != end && *colon == ':') {
    auto [last, ec2] = std::from_chars(colon + 1, end, next);
    ec = last == end ? ec2 : std::errc::invalid_argument;
  } else {
    ec = std::errc::invalid_argument;
  }
  if (ec != std::errc() || next < 0)
    throw std::runtime_error("risk-alert: spout position '" + p + "' is not <tasks>:<next>");
  if (stored_tasks != tasks) {
    spdlog::warn("risk-alert: the checkpoint's spout had {} tasks, now {}: reading from the start",
                 stored_tasks, tasks);
    return 0;
  }
  return next;
}

// Generated transactions as the Kafka spout would emit them: ("key", "value") = (account, JSON),
// a share of them deliberately malformed. Failed ids are replayed. Its position (checkpoints)
// is its index in the whole generated stream (each task generates all of it).
class SampleTransactionSpout : public StatefulSpout {
 public:
  void open(const Config& conf, TopologyContext& context, SpoutCollector& out) override {
    out_ = &out;
    events::GeneratorOptions options;
    options.seed = static_cast<std::uint64_t>(conf.get_int("risk.sample.seed", 42));
    options.accounts = static_cast<int>(conf.get_int("risk.sample.accounts", 500));
    options.suspicious = conf.get_double("risk.sample.suspicious", 0.02);
    double malformed = conf.get_double("risk.sample.malformed", 0.001);
    malformed_every_ = malformed > 0 ? static_cast<std::int64_t>(1.0 / malformed) : 0;
    count_ = conf.get_int("risk.sample.count", 20000);
    if (count_ < 0) throw std::invalid_argument("risk.sample.count must be 0 (endless) or more");
    if (count_ == 0) count_ = kEndless;
    // Every spout task generates the same stream; each emits its share of it.
    share_ = static_cast<std::int64_t>(context.this_task_index());
    tasks_ = static_cast<std::int64_t>(context.component_tasks(context.this_component()).size());
    double rate = conf.get_double("risk.sample.rate", 0);
    if (!(rate >= 0)) throw std::invalid_argument("risk.sample.rate must be 0 or more");
    // risk.sample.rate may change while it runs (gale set), before it opened too.
    live_ = &context.settings();
    live_version_ = live_->version();
    pace(live_->get_double("risk.sample.rate", rate), rate);
    generator_ = std::make_unique<events::TransactionGenerator>(options);
    malformed_lines_ = std::make_unique<events::MalformedLines>(options.seed);
  }

  void next_tuple() override {
    if (replay_.replay_one(*out_)) return;
    if (live_->version() != live_version_) {
      live_version_ = live_->version();
      pace(live_->get_double("risk.sample.rate", -1), rate_);
      spdlog::info("risk-alert: the sample stream runs at {} transactions a second", rate_);
    }
    if (ns_per_transaction_ > 0) {
      auto now = std::chrono::steady_clock::now();
      auto due = started_ + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                static_cast<double>(next_ - paced_from_) * ns_per_transaction_));
      if (now < due) return;  // the spout wait strategy sleeps
      // Held back longer than a second (backpressure, a slow start): the pace starts again
      // from here, rather than catching up in a burst.
      if (now - due > std::chrono::seconds(1)) pace_from_now();
    }
    generate(true);
  }

  // Each task paces its share: its n-th transaction of the stream is due at n / rate (0: as
  // fast as it can). A rate that is not a number of 0 or more keeps `otherwise`.
  void pace(double rate, double otherwise) {
    if (!(rate >= 0) || !std::isfinite(rate)) {
      spdlog::warn("risk-alert: risk.sample.rate must be a number of 0 or more; keeping {}",
                   otherwise);
      rate = otherwise;
    }
    rate_ = rate;
    ns_per_transaction_ = rate > 0 ? 1e9 / rate : 0;
    pace_from_now();
  }

  // Inactive time (deactivated, waiting for a scheduled start) is not owed either.
  void activate() override { pace_from_now(); }

  void pace_from_now() {
    paced_from_ = next_;
    started_ = std::chrono::steady_clock::now();
  }

  std::string snapshot_position() override {
    return position_of(static_cast<std::size_t>(tasks_), next_);
  }
  void restore_position(const std::vector<std::string>& positions, std::size_t own) override {
    const std::int64_t to = own_position(positions, own, static_cast<std::size_t>(tasks_));
    while (next_ < std::min(to, count_)) generate(false);
    pace_from_now();  // paced from where it resumes, not from the stream's start
  }

  // Generates up to this task's next transaction (and, now and then, a corrupted copy besides
  // the real one, for the dead letters to show), emitting them when `emitting`.
  void generate(bool emitting) {
    while (next_ < count_) {
      std::int64_t n = next_++;
      events::Transaction tx = generator_->next().transaction;
      if (n % tasks_ != share_) continue;
      std::string line = events::to_json(tx);
      std::optional<std::string> corrupted;
      if (malformed_every_ > 0 && n % malformed_every_ == malformed_every_ - 1)
        corrupted = malformed_lines_->corrupt(line);
      if (emitting) {
        if (corrupted) emit(count_ + n, Values{"", std::move(*corrupted)});
        emit(n, Values{tx.account, line});
      }
      return;
    }
  }

  void emit(std::int64_t n, Values values) {
    replay_.emit(*out_, std::move(values), static_cast<MessageId>(n));
  }

  void ack(MessageId id) override { replay_.ack(id); }
  void fail(MessageId id) override { replay_.fail(id); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"key", "value"}); }

 private:
  SpoutCollector* out_ = nullptr;
  std::unique_ptr<events::TransactionGenerator> generator_;
  std::unique_ptr<events::MalformedLines> malformed_lines_;
  std::int64_t malformed_every_ = 0;
  ReplayBuffer replay_;
  // risk.sample.count 0: a stream without end (ids of corrupted copies, count_ + n, still fit).
  static constexpr std::int64_t kEndless = std::int64_t{1} << 60;
  std::int64_t count_ = 0;
  std::int64_t next_ = 0;
  std::int64_t share_ = 0;
  std::int64_t tasks_ = 1;
  double rate_ = 0;  // risk.sample.rate: 0 is as fast as it can
  double ns_per_transaction_ = 0;
  const LiveSettings* live_ = nullptr;
  std::uint64_t live_version_ = 0;
  std::int64_t paced_from_ = 0;
  std::chrono::steady_clock::time_point started_;
};

// Transactions from a file of JSON lines (e.g. written by `gale-gen transactions --out F`),
// read whole at open; each spout task emits its share of the lines. Failed lines are replayed.
// Its position (checkpoints) is the number of its lines emitted.
class FileTransactionSpout : public StatefulSpout {
 public:
  void open(const Config& conf, TopologyContext& context, SpoutCollector& out) override {
    out_ = &out;
    std::string path = conf.get_string("risk.source.file", "");
    std::ifstream in(path);
    if (!in) throw std::invalid_argument("risk.source.file: cannot read '" + path + "'");
    const auto share = static_cast<std::size_t>(context.this_task_index());
    const auto tasks = context.component_tasks(context.this_component()).size();
    tasks_ = tasks;
    std::size_t n = 0;
    for (std::string line; std::getline(in, line); ++n)
      if (n % tasks == share && !line.empty()) lines_.push_back(std::move(line));
  }
  std::string snapshot_position() override {
    return position_of(tasks_, static_cast<std::int64_t>(next_));
  }
  void restore_position(const std::vector<std::string>& positions, std::size_t own) override {
    next_ = std::min(static_cast<std::size_t>(own_position(positions, own, tasks_)), lines_.size());
  }
  void next_tuple() override {
    if (replay_.replay_one(*out_)) return;
    if (next_ < lines_.size()) {
      replay_.emit(*out_, {Value(nullptr), lines_[next_]}, static_cast<MessageId>(next_));
      ++next_;
    }
  }
  void ack(MessageId id) override { replay_.ack(id); }
  void fail(MessageId id) override { replay_.fail(id); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"key", "value"}); }

 private:
  SpoutCollector* out_ = nullptr;
  std::vector<std::string> lines_;
  ReplayBuffer replay_;
  std::size_t next_ = 0;
  std::size_t tasks_ = 1;
};

// ---- parse -----------------------------------------------------------------------------------

// JSON -> transaction values; a malformed event goes to the dead-letter stream with the reason,
// so it is counted and kept, never dropped, and the topology goes on.
// Counts both (metrics `transactions` and `dead_letters`, docs/METRICS.md).
class ParseBolt : public BasicBolt {
 public:
  void prepare(const Config&, TopologyContext& context) override {
    transactions_ = &context.metrics().counter("transactions");
    dead_letters_ = &context.metrics().counter("dead_letters");
  }

  void execute(const Tuple& in, BasicCollector& out) override {
    const Value& raw = in.get(1);
    std::string_view json =
        raw.is_string() ? std::string_view(raw.as_string()) : std::string_view{};
    auto parsed = events::parse_transaction(json);
    if (parsed) {
      transactions_->add();
      out.emit(transaction_values(parsed.value()));
      return;
    }
    dead_letters_->add();
    std::string reason = raw.is_string() ? parsed.error().message : "the message has no value";
    if (logged_.insert(reason.substr(0, reason.find(':'))).second)
      spdlog::warn("risk-alert: malformed transaction sent to the dead letters: {}", reason);
    out.emit(kDeadLetterStream, {in.get(0).is_string() ? in.get(0) : Value(""),
                                 raw.is_string() ? raw : Value(""), reason});
  }

  void declare_outputs(OutputDeclarer& d) const override {
    d.declare(transaction_fields());
    d.declare_stream(kDeadLetterStream, {"key", "value", "reason"});
  }

 private:
  std::set<std::string> logged_;  // kinds of problems logged once each
  Counter* transactions_ = nullptr;
  Counter* dead_letters_ = nullptr;
};

// ---- rules -----------------------------------------------------------------------------------

// Where the rules come from: a file (re-read when it changes), a blob of the topology (a file
// in topology.blobs.dir, replaced by `gale blob put`), or the built-in default rules.
std::string rules_path(const Config& conf) {
  std::string setting = conf.get_string("risk.rules", "");
  if (setting.starts_with("blob:")) {
    std::string path = blob_path(conf, setting.substr(5));
    if (path.empty())
      throw std::invalid_argument("risk.rules: '" + setting +
                                  "' names a blob, but the topology has no topology.blobs.dir");
    return path;
  }
  return setting;
}

// Evaluates every transaction of its accounts (fields grouping on "account") and emits the
// alerts. Checks the rules file on every tick and replaces the rules when it changed; a rules
// file that does not load is reported and the rules in force stay. On Bolt, the history is in
// memory or in Redis (risk.state), made at prepare; on StatefulBolt (CheckpointedRulesBolt) it
// is the bolt's checkpointed state, made at init_state.
template <typename Base>
class RulesBoltOn : public Base {
 public:
  void prepare(const Config& conf, TopologyContext& context, OutputCollector& out) override {
    out_ = &out;
    conf_ = conf;
    metrics_ = &context.metrics();
    evaluated_ = &metrics_->counter("transactions_evaluated");
    path_ = rules_path(conf);
    auto load = path_.empty() ? load_rules(default_rules_yaml()) : load_rules_file(path_);
    if (!load) throw std::invalid_argument("risk.rules: " + load.error().message);
    stamp_ = file_stamp();
    file_rules_ = load.value();
    if (!conf.get_string("redis.host", "").empty() && conf.get_bool("risk.lists.redis", true)) {
      lists_redis_.emplace(redis::ConnectionOptions::from_config(conf));
      lists_prefix_ = conf.get_string("risk.lists.prefix", "risk:list:");
      refresh_lists();
    }
    if constexpr (!std::is_base_of_v<StatefulBolt, Base>) start_engine(nullptr);
  }

  void execute(const Tuple& in) override {
    if (in.is_tick()) {
      reload_if_changed();
      refresh_lists();
      return;
    }
    alerts_.clear();
    try {
      engine_->evaluate(transaction_of(in), alerts_);
      state_failing_ = false;
    } catch (const std::runtime_error& e) {  // the state store (Redis) did not answer
      if (!state_failing_) out_->report_error(std::string("state unavailable: ") + e.what());
      state_failing_ = true;
      out_->fail(in);  // replayed by the spout; its alerts come then
      return;
    }
    evaluated_->add();
    for (const auto& alert : alerts_) {
      alerts_by_rule(alert.rule, alert.severity).add();
      out_->emit(kAlertStream, in, {alert.id, alert.rule, alert.severity, alert_to_json(alert)});
    }
    out_->ack(in);
  }

  void declare_outputs(OutputDeclarer& d) const override {
    d.declare_stream(kAlertStream, {"alert_id", "rule", "severity", "alert"});
  }

 protected:
  void start_engine(StateContext* state) {
    engine_ = std::make_unique<RiskEngine>(with_redis_lists(), RiskEngineOptions{},
                                           make_history(conf_, state));
  }

 private:
  using Stamp = std::pair<std::filesystem::file_time_type, std::uintmax_t>;

  // The metric `alerts` of a rule and severity (the rules name them: few series), kept.
  Counter& alerts_by_rule(const std::string& rule, const std::string& severity) {
    Counter*& c = alert_counters_[{rule, severity}];
    if (!c) c = &metrics_->counter("alerts", {{"rule", rule}, {"severity", severity}});
    return *c;
  }

  Stamp file_stamp() const {
    std::error_code ec;
    if (path_.empty()) return {};
    auto time = std::filesystem::last_write_time(path_, ec);
    auto size = std::filesystem::file_size(path_, ec);
    return ec ? Stamp{} : Stamp{time, size};
  }

  void reload_if_changed() {
    if (path_.empty()) return;
    Stamp now = file_stamp();
    if (now == stamp_ || now == Stamp{}) return;
    stamp_ = now;
    auto load = load_rules_file(path_);
    if (!load) {
      out_->report_error("rules not replaced: " + load.error().message);
      spdlog::error("risk-alert: rules not replaced, the old ones stay: {}", load.error().message);
      return;
    }
    file_rules_ = load.value();
    engine_->replace_rules(with_redis_lists());
    spdlog::info("risk-alert: rules replaced from {}: {} rules", path_,
                 load.value()->rules().size());
  }

  // The rules file's lists, each joined by the members of the Redis set <prefix><list name>
  // (SADD risk:list:blacklisted-devices dev-123), read again on every tick: a list can grow
  // while the topology runs without touching the rules. If Redis does not answer, the lists
  // stay as they were (reported once).
  void refresh_lists() {
    if (!lists_redis_) return;
    std::map<std::string, std::vector<std::string>> members;
    for (const auto& list : file_rules_->lists()) {
      auto reply = lists_redis_->command({"SMEMBERS", lists_prefix_ + list.name});
      if (!reply || reply.value().is_error()) {
        if (!lists_failing_)
          out_->report_error("lists from Redis not refreshed: " +
                             (reply ? reply.value().str : reply.error().message));
        lists_failing_ = true;
        return;
      }
      for (const auto& m : reply.value().elements) members[list.name].push_back(m.str);
    }
    lists_failing_ = false;
    for (auto& [name, values] : members) std::sort(values.begin(), values.end());
    if (members == redis_members_) return;
    redis_members_ = std::move(members);
    if (engine_) engine_->replace_rules(with_redis_lists());  // (at prepare, not made yet)
  }

  std::shared_ptr<const RuleSet> with_redis_lists() const {
    if (redis_members_.empty()) return file_rules_;
    std::vector<WatchList> lists = file_rules_->lists();
    for (auto& list : lists) {
      auto extra = redis_members_.find(list.name);
      if (extra == redis_members_.end()) continue;
      list.values.insert(list.values.end(), extra->second.begin(), extra->second.end());
      std::sort(list.values.begin(), list.values.end());
      list.values.erase(std::unique(list.values.begin(), list.values.end()), list.values.end());
    }
    return std::make_shared<const RuleSet>(file_rules_->rules(), std::move(lists));
  }

  OutputCollector* out_ = nullptr;
  MetricGroup* metrics_ = nullptr;
  Counter* evaluated_ = nullptr;
  std::map<std::pair<std::string, std::string>, Counter*> alert_counters_;
  Config conf_;
  std::string path_;
  Stamp stamp_{};
  std::shared_ptr<const RuleSet> file_rules_;  // as the rules file (or the default) has them
  std::optional<redis::RedisClient> lists_redis_;
  std::string lists_prefix_;
  std::map<std::string, std::vector<std::string>> redis_members_;  // list -> members, sorted
  bool lists_failing_ = false;
  bool state_failing_ = false;  // reported once per outage
  std::unique_ptr<RiskEngine> engine_;
  std::vector<Alert> alerts_;
};

using RulesBolt = RulesBoltOn<Bolt>;

// risk.state=checkpoint (the default): the windows and payees are the bolt's checkpointed
// state (docs/STATE.md), restored after a worker's loss, so that a burst split by a restart is
// still seen whole.
class CheckpointedRulesBolt final : public RulesBoltOn<StatefulBolt> {
 public:
  void init_state(StateContext& state) override { start_engine(&state); }
};

// ---- sinks -----------------------------------------------------------------------------------

// Prints each alert (and dead letter) once, as one line, and a count per rule at the end: the
// demo's output. Alert ids are deterministic, so a replayed transaction is not printed twice.
class AlertPrinter : public Bolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void execute(const Tuple& in) override {
    if (in.source_stream() == kDeadLetterStream) {
      std::printf("DEAD-LETTER %s\n", in.get(2).as_string().c_str());
      ++dead_letters_;
    } else if (printed_.insert(in.get(0).as_string()).second) {
      auto alert = nlohmann::json::parse(in.get(3).as_string(), nullptr, false);
      const auto& tx = alert["transaction"];
      std::printf("ALERT %-8s %-24s %s %s %s %10.2f %s %s  %s\n", in.get(2).as_string().c_str(),
                  in.get(1).as_string().c_str(), tx.value("ts", "").c_str(),
                  tx.value("id", "").c_str(), tx.value("account", "").c_str(),
                  tx.value("amount", 0.0), tx.value("currency", "").c_str(),
                  tx.value("city", "").c_str(), alert["evidence"].dump().c_str());
      ++by_rule_[in.get(1).as_string()];
    }
    std::fflush(stdout);
    out_->ack(in);
  }
  void cleanup() override {
    std::printf("alerts by rule:");
    for (const auto& [rule, n] : by_rule_) std::printf(" %s=%d", rule.c_str(), n);
    std::printf(" (dead letters: %d)\n", dead_letters_);
    std::fflush(stdout);
  }

 private:
  OutputCollector* out_ = nullptr;
  std::set<std::string> printed_;
  std::map<std::string, int> by_rule_;
  int dead_letters_ = 0;
};

// Writes each alert to a Redis stream once: SET NX on the alert id guards the XADD, atomically
// (one script), so a replayed transaction adds no second entry.
constexpr const char* kStoreAlertScript = R"(
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'alert', ARGV[1])
  return 1
end
return 0)";

redis::StoreMapper alert_to_redis(const Config& conf) {
  std::string stream = conf.get_string("risk.alerts.stream", "risk:alerts");
  std::string ttl = std::to_string(conf.get_int("risk.alerts.dedup.ttl.secs", 7 * 24 * 3600));
  std::string maxlen = std::to_string(conf.get_int("risk.alerts.stream.maxlen", 100000));
  return [stream, ttl, maxlen](const Tuple& in) {
    return std::vector<redis::Command>{{"EVAL", kStoreAlertScript, "2",
                                        "risk:alert:" + in.get(0).as_string(), stream,
                                        in.get(3).as_string(), ttl, maxlen}};
  };
}

// A dead letter keeps the original bytes and says why it was refused.
kafka::SinkRecord dead_letter_record(const Tuple& in) {
  return {"", in.get(0).as_string(),
          events::dead_letter_json(in.get(0).as_string(), in.get(1).as_string(),
                                   in.get(2).as_string())};
}

kafka::KafkaSinkConfig sink_to(const Config& conf, const std::string& topic,
                               const std::string& key_field, const std::string& value_field) {
  kafka::KafkaSinkConfig sink;
  sink.bootstrap_servers = conf.get_string("kafka.bootstrap.servers", "");
  sink.topic = topic;
  sink.key_field = key_field;
  sink.value_field = value_field;
  return sink;
}

}  // namespace
}  // namespace gale::risk

GALE_TOPOLOGY(risk_alert, const gale::Config& conf) {
  using namespace gale;
  using namespace gale::risk;
  TopologyBuilder builder;
  const std::string source = conf.get_string("risk.source", "sample");
  const int spouts = static_cast<int>(conf.get_int("risk.spout.parallelism", 1));
  if (source == "kafka") {
    auto config = kafka::KafkaSpoutConfig::from(conf);
    builder.set_spout(
        "transactions",
        [config] {
          return std::make_unique<kafka::KafkaSpout>(config,
                                                     kafka::RecordTranslator::key_and_value());
        },
        spouts);
  } else if (source == "sample") {
    builder.set_spout(
        "transactions", [] { return std::make_unique<SampleTransactionSpout>(); }, spouts);
  } else if (source == "file") {
    builder.set_spout(
        "transactions", [] { return std::make_unique<FileTransactionSpout>(); }, spouts);
  } else {
    throw std::invalid_argument("risk.source: expected 'sample', 'file' or 'kafka', got '" +
                                source + "'");
  }
  builder
      .set_bolt(
          "parse", [] { return std::make_unique<ParseBolt>(); },
          static_cast<int>(conf.get_int("risk.parse.parallelism", 1)))
      // By the message key (the account: docs/EVENTS.md), so that each account's transactions
      // reach the rules bolt in the order the spout read them whatever the parse parallelism:
      // windows that fire when a count or sum is reached depend on that order.
      .fields_grouping("transactions", Fields{"key"});
  const auto parse_executors = conf.get_int("risk.parse.parallelism", 1);
  const auto rules_executors = conf.get_int("risk.rules.parallelism", 2);
  auto& rules = history_is_checkpointed(conf)
                    ? builder.set_bolt(
                          "rules", [] { return std::make_unique<CheckpointedRulesBolt>(); },
                          static_cast<int>(rules_executors))
                    : builder.set_bolt(
                          "rules", [] { return std::make_unique<RulesBolt>(); },
                          static_cast<int>(rules_executors));
  if (conf.get_bool("risk.chain", false) && parse_executors == rules_executors) {
    // Parse task k already holds the accounts whose message key maps to k (the key is the
    // account): rules task k can own exactly those, and then runs chained in parse's thread.
    rules.one_to_one_grouping("parse");
  } else {
    rules.fields_grouping("parse", Fields{"account"});
  }
  rules.add_configuration(conf::kTopologyTickTupleFreqSecs, 1);

  if (conf.get_bool("risk.print", true)) {
    builder.set_bolt("print", [] { return std::make_unique<AlertPrinter>(); })
        .global_grouping("rules", kAlertStream)
        .global_grouping("parse", kDeadLetterStream);
  }
  if (!conf.get_string("redis.host", "").empty()) {
    auto mapper = alert_to_redis(conf);
    builder
        .set_bolt("alerts-redis",
                  [mapper] { return std::make_unique<redis::RedisStoreBolt>(mapper); })
        .shuffle_grouping("rules", kAlertStream)
        .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  }
  if (!conf.get_string("kafka.bootstrap.servers", "").empty()) {
    kafka::set_kafka_sink(
        builder, "alerts-kafka",
        sink_to(conf, conf.get_string("risk.alerts.topic", "risk-alerts"), "alert_id", "alert"))
        .shuffle_grouping("rules", kAlertStream);
    kafka::set_kafka_sink(
        builder, "dead-letter-kafka",
        sink_to(conf, conf.get_string("risk.deadletter.topic", "transactions-dlq"), "key", "value"),
        1, dead_letter_record)
        .shuffle_grouping("parse", kDeadLetterStream);
  }
  // The built-in stream's pace changes while it runs: gale set <name> risk.sample.rate=1000.
  builder.declare_changeable({"risk.sample.rate"});
  return builder.build();
}
