// balances: a core banking system's database log (CDC from Kafka, or the built-in sample) ->
// the live balance of every account and the totals per branch, institution, currency and
// product in PostgreSQL (and the institutions' totals in Redis for hot reads). See README.md
// for the components, the keys and the guarantees.
#include <gale/gale.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "gale/balances/ledger.h"
#include "gale/cdc/change.h"
#include "gale/events/core_banking.h"
#include "gale/events/events.h"
#include "gale/kafka/kafka_sink_bolt.h"
#include "gale/kafka/kafka_spout.h"
#include "gale/postgres/bolts.h"
#include "gale/redis/client.h"

namespace gale::balances {
namespace {

constexpr const char* kDeadLetterStream = "dead-letter";
constexpr const char* kAccountStream = "accounts";
constexpr const char* kBranchStream = "branches";
constexpr const char* kInstitutionStream = "institutions";

cdc::Format format_of(const Config& conf) {
  std::string name = conf.get_string("balances.format", "debezium");
  auto format = cdc::format_named(name);
  if (!format)
    throw std::invalid_argument("balances.format: expected debezium, canal or maxwell, got '" +
                                name + "'");
  return *format;
}

// ---- the built-in sample: gale-gen core-banking's log ----------------------------------------

class SampleLogSpout : public Spout {
 public:
  void open(const Config& conf, TopologyContext&, SpoutCollector& out) override {
    out_ = &out;
    events::CoreBankingOptions options;
    options.seed = static_cast<std::uint64_t>(
        conf.get_int_in("balances.sample.seed", 7, 0, std::numeric_limits<int>::max()));
    options.accounts =
        static_cast<int>(conf.get_int_in("balances.sample.accounts", 200, 1, 999'999));
    options.duplicates =
        static_cast<double>(conf.get_int_in("balances.sample.duplicates.percent", 2, 0, 99)) /
        100.0;
    count_ = conf.get_int_in("balances.sample.records", 2000, 1, 100'000'000);
    events::CdcFormat format = events::CdcFormat::debezium;
    switch (format_of(conf)) {
      case cdc::Format::debezium:
        format = events::CdcFormat::debezium;
        break;
      case cdc::Format::canal:
        format = events::CdcFormat::canal;
        break;
      case cdc::Format::maxwell:
        format = events::CdcFormat::maxwell;
        break;
    }
    generator_ = std::make_unique<events::CoreBankingGenerator>(options, format);
  }
  void next_tuple() override {
    if (replay_.replay_one(*out_)) return;
    if (next_ >= count_) return;
    events::CdcRecord record = generator_->next();
    replay_.emit(*out_, {record.key, record.value}, static_cast<MessageId>(next_++));
  }
  void ack(MessageId id) override { replay_.ack(id); }
  void fail(MessageId id) override { replay_.fail(id); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"key", "value"}); }

 private:
  SpoutCollector* out_ = nullptr;
  std::unique_ptr<events::CoreBankingGenerator> generator_;
  ReplayBuffer replay_;
  std::int64_t count_ = 0;
  std::int64_t next_ = 0;
};

// ---- decode: one record -> the changes of the tables the balances need ----------------------

class DecodeBolt : public Bolt {
 public:
  void prepare(const Config& conf, TopologyContext& context, OutputCollector& out) override {
    out_ = &out;
    records_ = &context.metrics().counter("log_records");
    dead_letters_ = &context.metrics().counter("dead_letters");
    format_ = format_of(conf);
    database_ = conf.get_string("balances.source.database", "");
  }

  void execute(const Tuple& in) override {
    const Value& key = in.get(0);
    const Value& value = in.get(1);
    std::string_view k = key.is_string() ? std::string_view(key.as_string()) : std::string_view{};
    std::string_view v =
        value.is_string() ? std::string_view(value.as_string()) : std::string_view{};
    records_->add();
    auto changes = cdc::decode(format_, k, v);
    if (!changes) {
      dead_letter(in, changes.error().message);
      out_->ack(in);
      return;
    }
    // Every change of the record is checked before any is emitted: a record goes whole or
    // whole to the dead letters.
    std::vector<std::pair<const char*, Values>> out;
    for (const cdc::Change& change : changes.value()) {
      if (!database_.empty() && change.database != database_) continue;
      if (change.table == "accounts") {
        auto a = account_of(change);
        if (!a) return dead_letter_and_ack(in, a.error().message);
        const AccountState& s = a.value();
        out.push_back({kAccountStream,
                       {s.account_id, s.branch_id, s.currency, s.product, s.balance, s.open,
                        s.position, s.commit_ms}});
      } else if (change.table == "branches") {
        // A closed branch keeps its row: its accounts' totals stay under its institution.
        if (change.op == cdc::Operation::remove) continue;
        auto b = branch_of(change);
        if (!b) return dead_letter_and_ack(in, b.error().message);
        out.push_back(
            {kBranchStream, {b.value().branch_id, b.value().institution_id, b.value().position}});
      } else if (change.table == "institutions") {
        if (change.op == cdc::Operation::remove) continue;
        auto i = institution_of(change);
        if (!i) return dead_letter_and_ack(in, i.error().message);
        out.push_back(
            {kInstitutionStream, {i.value().institution_id, i.value().name, i.value().position}});
      }
    }
    for (auto& [stream, values] : out) out_->emit(stream, in, std::move(values));
    out_->ack(in);
  }

  void declare_outputs(OutputDeclarer& d) const override {
    d.declare_stream(kAccountStream, {"account_id", "branch_id", "currency", "product", "balance",
                                      "open", "position", "commit_ms"});
    d.declare_stream(kBranchStream, {"branch_id", "institution_id", "position"});
    d.declare_stream(kInstitutionStream, {"institution_id", "name", "position"});
    d.declare_stream(kDeadLetterStream, {"key", "value", "reason"});
  }

 private:
  void dead_letter(const Tuple& in, const std::string& reason) {
    dead_letters_->add();
    if (logged_.insert(reason.substr(0, reason.find(':'))).second)
      spdlog::warn("balances: a change that cannot be applied went to the dead letters: {}",
                   reason);
    const Value& key = in.get(0);
    const Value& value = in.get(1);
    out_->emit(kDeadLetterStream, in,
               {key.is_string() ? key : Value(""), value.is_string() ? value : Value(""), reason});
  }
  void dead_letter_and_ack(const Tuple& in, const std::string& reason) {
    dead_letter(in, reason);
    out_->ack(in);
  }

  OutputCollector* out_ = nullptr;
  cdc::Format format_ = cdc::Format::debezium;
  std::string database_;
  std::set<std::string> logged_;
  Counter* records_ = nullptr;
  Counter* dead_letters_ = nullptr;
};

// ---- accounts: balances and totals in one transaction per batch ------------------------------

class AccountWriterBolt : public postgres::BatchedPostgresBolt {
 public:
  AccountWriterBolt()
      : BatchedPostgresBolt("balances accounts", postgres::BatchedPostgresBolt::Mode::transaction) {
  }

 protected:
  void on_prepare(const Config& conf, postgres::PostgresClient& client) override {
    // Each account of a batch holds an advisory lock until the commit, from PostgreSQL's shared
    // lock table (max_locks_per_transaction x connections: a few thousand by default).
    if (auto size = postgres::BatchOptions::from_config(conf).batch_size; size > kMaxBatch)
      throw std::invalid_argument("balances: postgres.batch.size is " + std::to_string(size) +
                                  "; the account writers take at most " +
                                  std::to_string(kMaxBatch) +
                                  " (each change holds its account's lock until the commit)");
    if (conf.get_bool("balances.redis", false))
      redis_.emplace(redis::ConnectionOptions::from_config(conf));
    auto checked = client.query(
        "SELECT to_regclass('balances.account_balance') IS NOT NULL AND "
        "to_regclass('balances.balance_total') IS NOT NULL AND "
        "to_regclass('balances.balance_history') IS NOT NULL AND "
        "to_regclass('balances.by_institution') IS NOT NULL");
    if (checked && checked.value().rows.at(0).at(0) != postgres::Param("t"))
      throw std::invalid_argument(
          "balances: the result tables are missing in " + client.options().describe() +
          "; create them first with topologies/balances/sql/schema.sql (psql -f)");
    auto refuse = [&](const Result<void>& r) {
      if (!r && r.error().code == make_error_code(postgres::PostgresErrc::statement))
        throw std::invalid_argument("balances: " + r.error().message);
    };
    // Read committed (set here, whatever the database's or role's default), each change behind
    // its account's lock: should two writers ever hold one account (a rebalance, a zombie
    // executor), the second waits for the first's commit and then reads what it left
    // (ledger.h). Not repeatable read: there the snapshot would predate the lock, and writers
    // adding to the same totals row at once would fail each other with serialization conflicts.
    refuse(client.add_session_setup("SET default_transaction_isolation = 'read committed'"));
    refuse(client.add_session_setup(std::string(delta_table_sql())));
    refuse(client.prepare("balances_lock", std::string(account_lock_sql())));
    refuse(client.prepare("balances_account", std::string(account_sql())));
    refuse(client.prepare("balances_totals", std::string(apply_totals_sql())));
  }

  std::vector<postgres::Statement> statements_for(const Tuple& in) override {
    std::vector<postgres::Param> params;
    params.reserve(8);
    for (std::size_t i = 0; i < 8; ++i) params.push_back(postgres::to_param(in.get(i)));
    last_commit_ms_ = std::max(last_commit_ms_, in.get(7).as_int());
    postgres::Param account = params.front();
    return {{"balances_lock", {std::move(account)}}, {"balances_account", std::move(params)}};
  }

  std::vector<postgres::Statement> batch_statements() override { return {{"balances_totals", {}}}; }

  void on_batch_committed(std::span<const postgres::QueryResult>) override {
    refreshes_due_ = kRefreshes;
  }

  // After a batch committed, on ticks a second apart: the institutions' totals into the
  // per-minute history and Redis's hot totals. Three times, so that branches committed by
  // their own bolt just after the accounts are counted under their institution too.
  void execute(const Tuple& in) override {
    BatchedPostgresBolt::execute(in);
    if (!in.is_tick() || refreshes_due_ == 0) return;
    auto now = std::chrono::steady_clock::now();
    if (now < next_refresh_) return;
    next_refresh_ = now + kRefreshEvery;
    --refreshes_due_;
    refresh();
  }

 private:
  static constexpr int kMaxBatch = 1000;
  static constexpr int kRefreshes = 3;
  static constexpr std::chrono::seconds kRefreshEvery{1};

  void refresh() {
    auto totals = client_->query(std::string(history_sql()), {std::to_string(last_commit_ms_)});
    if (!totals) {
      refreshes_due_ = kRefreshes;  // again on the next tick
      return;                       // the next batch reports the outage
    }
    // For the console and Prometheus (docs/METRICS.md): each institution's total as last read,
    // whichever writer read it. A double, for display; the exact decimal is in the table.
    for (const auto& row : totals.value().rows) {
      std::string total = row.at(2).value_or("0");
      char* end = nullptr;
      double value = std::strtod(total.c_str(), &end);
      if (end == total.c_str()) continue;
      metrics()
          .gauge("institution_balance",
                 {{"institution", row.at(0).value_or("")}, {"currency", row.at(1).value_or("")}},
                 GaugeCombine::latest)
          .set(value);
    }
    if (!redis_) return;
    std::vector<redis::Command> commands;
    for (const auto& row : totals.value().rows)
      commands.push_back({"HSET", "balances:institution:" + row.at(0).value_or(""),
                          row.at(1).value_or(""), row.at(2).value_or("0")});
    if (commands.empty()) return;
    auto replies = redis_->pipeline(commands);
    bool ok = replies && std::none_of(replies.value().begin(), replies.value().end(),
                                      [](const redis::Reply& r) { return r.is_error(); });
    if (!ok) {
      if (!redis_failing_)
        report_error("the hot totals in Redis are behind: " +
                     (replies ? std::string("an error reply") : replies.error().message));
      redis_failing_ = true;
      refreshes_due_ = kRefreshes;
      return;
    }
    redis_failing_ = false;
  }

  std::optional<redis::RedisClient> redis_;
  std::int64_t last_commit_ms_ = 0;
  int refreshes_due_ = 0;
  std::chrono::steady_clock::time_point next_refresh_{};
  bool redis_failing_ = false;
};

// ---- dead letters kept in PostgreSQL when there is no Kafka ---------------------------------

class DeadLetterTableBolt : public postgres::BatchedPostgresBolt {
 public:
  DeadLetterTableBolt()
      : BatchedPostgresBolt("balances dead letters",
                            postgres::BatchedPostgresBolt::Mode::transaction) {}

 protected:
  void on_prepare(const Config&, postgres::PostgresClient& client) override {
    auto r = client.prepare("balances_dead_letter",
                            "INSERT INTO balances.dead_letter (record_key, record_value, reason) "
                            "VALUES ($1, $2, $3)");
    if (!r && r.error().code == make_error_code(postgres::PostgresErrc::statement))
      throw std::invalid_argument("balances: " + r.error().message);
  }
  std::vector<postgres::Statement> statements_for(const Tuple& in) override {
    return {{"balances_dead_letter",
             {postgres::to_param(in.get(0)), postgres::to_param(in.get(1)),
              postgres::to_param(in.get(2))}}};
  }
};

postgres::UpsertMapping branch_mapping() {
  postgres::UpsertMapping m;
  m.schema = "balances";
  m.table = "branch";
  m.columns = {"branch_id", "institution_id", "position"};
  m.fields = m.columns;
  m.key = {"branch_id"};
  m.version = "position";
  return m;
}

postgres::UpsertMapping institution_mapping() {
  postgres::UpsertMapping m;
  m.schema = "balances";
  m.table = "institution";
  m.columns = {"institution_id", "name", "position"};
  m.fields = m.columns;
  m.key = {"institution_id"};
  m.version = "position";
  return m;
}

}  // namespace
}  // namespace gale::balances

GALE_TOPOLOGY(balances, const gale::Config& conf) {
  using namespace gale;
  using namespace gale::balances;
  TopologyBuilder builder;
  format_of(conf);  // a bad format is refused at submit
  const std::string source = conf.get_string("balances.source", "sample");
  const int spouts = static_cast<int>(conf.get_int_in("balances.spout.parallelism", 1, 1, 256));
  // The writers tick at their flush interval (10 ms to 1 s), so that a partial batch waits at
  // most about two of them (not a whole second) when the log goes quiet.
  const std::int64_t flush_ms = std::clamp<std::int64_t>(
      postgres::BatchOptions::from_config(conf).flush_interval.count(), 10, 1000);
  if (source == "kafka") {
    auto config = kafka::KafkaSpoutConfig::from(conf);
    builder.set_spout(
        "log",
        [config] {
          return std::make_unique<kafka::KafkaSpout>(config,
                                                     kafka::RecordTranslator::key_and_value());
        },
        spouts);
  } else if (source == "sample") {
    builder.set_spout(
        "log", [] { return std::make_unique<SampleLogSpout>(); }, 1);
  } else {
    throw std::invalid_argument("balances.source: expected 'sample' or 'kafka', got '" + source +
                                "'");
  }
  builder
      .set_bolt(
          "decode", [] { return std::make_unique<DecodeBolt>(); },
          static_cast<int>(conf.get_int_in("balances.decode.parallelism", 1, 1, 256)))
      .local_or_shuffle_grouping("log");
  // One account's changes always reach the same writer, in log order.
  builder
      .set_bolt(
          "accounts", [] { return std::make_unique<AccountWriterBolt>(); },
          static_cast<int>(conf.get_int_in("balances.writer.parallelism", 2, 1, 256)))
      .fields_grouping("decode", kAccountStream, {"account_id"})
      .add_configuration(conf::kTopologyTickTupleFreqMs, flush_ms);
  builder
      .set_bolt("branches",
                [] { return std::make_unique<postgres::PostgresUpsertBolt>(branch_mapping()); })
      .fields_grouping("decode", kBranchStream, {"branch_id"})
      .add_configuration(conf::kTopologyTickTupleFreqMs, flush_ms);
  builder
      .set_bolt(
          "institutions",
          [] { return std::make_unique<postgres::PostgresUpsertBolt>(institution_mapping()); })
      .fields_grouping("decode", kInstitutionStream, {"institution_id"})
      .add_configuration(conf::kTopologyTickTupleFreqMs, flush_ms);
  if (source == "kafka" && !conf.get_string("kafka.bootstrap.servers", "").empty()) {
    kafka::KafkaSinkConfig sink;
    sink.bootstrap_servers = conf.get_string("kafka.bootstrap.servers", "");
    sink.topic = conf.get_string("balances.deadletter.topic", "core-banking-dlq");
    sink.key_field = "key";
    kafka::set_kafka_sink(builder, "dead-letters", sink, 1, [](const Tuple& in) {
      return kafka::SinkRecord{
          "", in.get(0).as_string(),
          events::dead_letter_json(in.get(0).as_string(), in.get(1).as_string(),
                                   in.get(2).as_string())};
    }).shuffle_grouping("decode", kDeadLetterStream);
  } else {
    builder.set_bolt("dead-letters", [] { return std::make_unique<DeadLetterTableBolt>(); })
        .shuffle_grouping("decode", kDeadLetterStream)
        .add_configuration(conf::kTopologyTickTupleFreqMs, flush_ms);
  }
  return builder.build();
}
