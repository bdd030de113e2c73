#pragma once
// Bolts that write to and read from PostgreSQL: each input becomes executions of prepared
// statements, and the bolt sends the statements of many inputs as one pipelined batch.
//
// Writing (PostgresUpsertBolt, and any bolt derived from BatchedPostgresBolt in `transaction`
// mode): a batch is one transaction. Its inputs are acked only after the COMMIT came back, so
// an acked input is durable. When the server refuses one input's statement (a constraint, a
// value of the wrong type) that input alone is failed and reported, and the rest of the batch
// is written again without it; a transaction that loses a deadlock or serialization conflict
// is run again (up to 3 times, then its inputs are failed for replay); when the connection fails
// (server down, lost, hung past postgres.timeout.ms) every input of the batch is failed for replay
// and the client reconnects on a later batch with backoff (the first failure of an outage is
// reported). A batch whose COMMIT was sent but never answered may have landed: writes must be
// idempotent, which the upsert's version column makes them (a replayed row never goes back in
// time).
//
// Reading (PostgresLookupBolt, `each` mode): each input's statement runs on its own; a refused
// one fails its input alone.
//
// Batching as the Redis bolts: inputs wait until postgres.batch.size of them are buffered, an
// input arrives after the oldest waited postgres.flush.interval.ms, or a tick tuple comes; so a
// bolt with postgres.batch.size > 1 needs topology.tick.tuple.freq.ms (or .secs) on its component,
// and prepare() refuses it otherwise. Inputs buffered at cleanup() are neither acked nor failed:
// their trees time out and the spout replays them.
//
// Threading: as any Bolt, one thread per instance; each instance has its own connection.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gale/components.h"
#include "gale/postgres/client.h"

namespace gale::postgres {

// A tuple value as a statement parameter's text: null as NULL, booleans as true/false, numbers
// as their shortest exact text, strings as they are, bytes in bytea's hex form (\x...).
Param to_param(const Value& value);

// The common part of the PostgreSQL bolts: buffering, one pipelined batch, acking or failing
// per input. Derive from it for other PostgreSQL bolts.
class BatchedPostgresBolt : public Bolt {
 public:
  enum class Mode {
    transaction,  // a batch is one transaction (writers)
    each,         // each input's statements on their own (readers)
  };

  // Reads ConnectionOptions and BatchOptions (std::invalid_argument naming a bad key), then
  // calls on_prepare(). Does not fail when the server is down: the first batch connects.
  void prepare(const Config& config, TopologyContext& context, OutputCollector& collector) final;
  void execute(const Tuple& input) override;

 protected:
  // `name` prefixes this bolt's errors ("PostgresUpsertBolt").
  BatchedPostgresBolt(std::string name, Mode mode) : name_(std::move(name)), mode_(mode) {}

  // Register statements (client.prepare) and check the tables here. Throw
  // std::invalid_argument to refuse to start (a mapping that does not fit its table).
  virtual void on_prepare(const Config& config, PostgresClient& client) = 0;
  // The statements for one input, called from execute() when it arrives. None: the input is
  // acked at once. An exception fails this input alone.
  virtual std::vector<Statement> statements_for(const Tuple& input) = 0;
  // The input's statements ran (in `transaction` mode: and committed); `results` are theirs.
  // Emit anchored to `input` here; the input is acked after this returns, failed if it throws.
  virtual void on_results(const Tuple&, std::span<const QueryResult>, OutputCollector&) {}
  // `transaction` mode: statements that end every batch, after its inputs' (work on what the
  // batch as a whole changed, in the same transaction). A refused one fails the whole batch.
  virtual std::vector<Statement> batch_statements() { return {}; }
  // Their results, once the batch committed, before its inputs are acked. Exceptions are
  // reported; the inputs are still acked (what they wrote is committed).
  virtual void on_batch_committed(std::span<const QueryResult>) {}

  const std::string& name() const { return name_; }
  // Reports `message` (prefixed with the bolt's name) as the component's error.
  void report_error(const std::string& message) {
    collector_->report_error(name_ + ": " + message);
  }

 private:
  struct Buffered {
    Tuple input;
    std::size_t first = 0;  // its statements in statements_
    std::size_t count = 0;
  };

  bool flush_due() const;
  void flush();
  void flush_transaction(std::vector<Buffered>& batch, std::vector<Statement>& statements);
  void flush_each(std::vector<Buffered>& batch, std::vector<Statement>& statements);
  void complete(Buffered& buffered, std::span<const QueryResult> results);
  void outage(const Error& error, std::size_t inputs);

  std::string name_;
  Mode mode_;
  OutputCollector* collector_ = nullptr;
  MetricGroup* metrics_ = nullptr;

 protected:
  std::optional<PostgresClient> client_;
  // The task's metrics (gale/metrics.h), from prepare on.
  MetricGroup& metrics() const { return *metrics_; }

 private:
  BatchOptions batch_;
  std::vector<Buffered> buffered_;
  std::vector<Statement> statements_;
  std::chrono::steady_clock::time_point oldest_{};
  bool outage_reported_ = false;
};

// Writes each input as one row of a table, by the mapping in the config (UpsertMapping,
// postgres.upsert.*): an INSERT ... ON CONFLICT (key) DO UPDATE, and with a version column
// only over an older version. At prepare the table is checked: it must exist, have every mapped
// column, and a unique index on the key (else the bolt refuses to start, naming the key and
// what the table has). An input without one of the mapped fields fails alone. Emits nothing.
class PostgresUpsertBolt : public BatchedPostgresBolt {
 public:
  // The mapping from the component's config.
  PostgresUpsertBolt() : BatchedPostgresBolt("PostgresUpsertBolt", Mode::transaction) {}
  // A mapping set in code (the postgres.upsert.* keys are then not read).
  explicit PostgresUpsertBolt(UpsertMapping mapping)
      : BatchedPostgresBolt("PostgresUpsertBolt", Mode::transaction),
        mapping_(std::move(mapping)) {}

 protected:
  void on_prepare(const Config& config, PostgresClient& client) override;
  std::vector<Statement> statements_for(const Tuple& input) override;

 private:
  void check_table(PostgresClient& client);

  std::optional<UpsertMapping> mapping_;
};

// The parameters of the lookup for an input, in the order of the SQL's $1, $2, ...
using LookupParams = std::function<std::vector<Param>(const Tuple& input)>;
// From an input and the rows its lookup found to the tuples to emit (each anchored to the
// input); none to emit nothing (the input is still acked). Throw to fail the input.
using LookupRows = std::function<std::vector<Values>(const Tuple& input, const QueryResult& rows)>;

// Enriches each input with what a parameterized query finds for it, and emits the result on
// the default stream with `output_fields`. The query is prepared at start (a query that does
// not prepare stops the bolt from starting, with the server's message).
class PostgresLookupBolt : public BatchedPostgresBolt {
 public:
  PostgresLookupBolt(std::string sql, LookupParams params, LookupRows rows, Fields output_fields)
      : BatchedPostgresBolt("PostgresLookupBolt", Mode::each),
        sql_(std::move(sql)),
        params_(std::move(params)),
        rows_(std::move(rows)),
        output_fields_(std::move(output_fields)) {}

  void declare_outputs(OutputDeclarer& declarer) const override {
    declarer.declare(output_fields_);
  }

 protected:
  void on_prepare(const Config& config, PostgresClient& client) override;
  std::vector<Statement> statements_for(const Tuple& input) override {
    return {{"gale_lookup", params_(input)}};
  }
  void on_results(const Tuple& input, std::span<const QueryResult> results,
                  OutputCollector& collector) override;

 private:
  std::string sql_;
  LookupParams params_;
  LookupRows rows_;
  Fields output_fields_;
};

}  // namespace gale::postgres
