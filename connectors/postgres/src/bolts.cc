#include "gale/postgres/bolts.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>

namespace gale::postgres {

Param to_param(const Value& value) {
  switch (value.type()) {
    case Value::Type::null:
      return std::nullopt;
    case Value::Type::boolean:
      return std::string(value.as_bool() ? "true" : "false");
    case Value::Type::int64:
      return std::to_string(value.as_int());
    case Value::Type::float64: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value.as_double());
      return std::string(buf, end);
    }
    case Value::Type::string:
      return value.as_string();
    case Value::Type::bytes: {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string out = "\\x";
      for (std::uint8_t b : value.as_bytes()) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
      }
      return out;
    }
  }
  return std::nullopt;
}

void BatchedPostgresBolt::prepare(const Config& config, TopologyContext& context,
                                  OutputCollector& collector) {
  metrics_ = &context.metrics();
  batch_ = BatchOptions::from_config(config);
  if (batch_.batch_size > 1 && config.get_int(gale::conf::kTopologyTickTupleFreqSecs) <= 0 &&
      config.get_int(gale::conf::kTopologyTickTupleFreqMs) <= 0) {
    throw std::invalid_argument(name_ + ": " + conf::kBatchSize + " is " +
                                std::to_string(batch_.batch_size) + " but this component has no " +
                                gale::conf::kTopologyTickTupleFreqMs + " or " +
                                gale::conf::kTopologyTickTupleFreqSecs +
                                ", so a partial batch would wait for the next input; set one on "
                                "the bolt (its flush interval in ms is usual) or " +
                                conf::kBatchSize + " to 1");
  }
  client_.emplace(ConnectionOptions::from_config(config));
  collector_ = &collector;
  on_prepare(config, *client_);
}

void BatchedPostgresBolt::execute(const Tuple& input) {
  if (input.is_tick()) {
    if (!buffered_.empty()) flush();
    return;
  }
  std::vector<Statement> statements = statements_for(input);
  for (const Statement& s : statements)
    for (const Param& p : s.params)
      if (p && p->find('\0') != std::string::npos)  // libpq's text parameters end at a NUL
        throw std::invalid_argument(name_ +
                                    ": a value holds a NUL byte, which PostgreSQL's text "
                                    "cannot store");
  if (statements.empty()) {
    collector_->ack(input);
    return;
  }
  if (buffered_.empty()) oldest_ = std::chrono::steady_clock::now();
  buffered_.push_back({input, statements_.size(), statements.size()});
  for (Statement& s : statements) statements_.push_back(std::move(s));
  if (flush_due()) flush();
}

bool BatchedPostgresBolt::flush_due() const {
  return buffered_.size() >= static_cast<std::size_t>(batch_.batch_size) ||
         std::chrono::steady_clock::now() - oldest_ >= batch_.flush_interval;
}

void BatchedPostgresBolt::flush() {
  std::vector<Buffered> batch;
  std::vector<Statement> statements;
  batch.swap(buffered_);
  statements.swap(statements_);
  if (mode_ == Mode::transaction)
    flush_transaction(batch, statements);
  else
    flush_each(batch, statements);
}

void BatchedPostgresBolt::outage(const Error& error, std::size_t inputs) {
  if (outage_reported_) return;
  collector_->report_error(name_ + ": " + error.message + "; failing " + std::to_string(inputs) +
                           " inputs for replay");
  outage_reported_ = true;
}

void BatchedPostgresBolt::flush_transaction(std::vector<Buffered>& batch,
                                            std::vector<Statement>& statements) {
  constexpr int kConflictAttempts = 3;
  int conflicts = 0;
  // A refused statement fails its input and the others are written again without it: at most
  // one attempt per input of the batch (and the conflicts' retries).
  while (!batch.empty()) {
    std::size_t input_statements = statements.size();
    std::vector<Statement> ending = batch_statements();
    std::vector<Statement> all = statements;
    for (Statement& s : ending) all.push_back(std::move(s));
    std::size_t failed = std::numeric_limits<std::size_t>::max();  // set only for a refused one
    Result<std::vector<QueryResult>> results = client_->transaction(all, &failed);
    if (results) {
      outage_reported_ = false;
      std::span<const QueryResult> done(results.value());
      try {
        on_batch_committed(done.subspan(input_statements));
      } catch (const std::exception& e) {
        collector_->report_error(name_ + ": " + e.what());
      }
      for (Buffered& b : batch) complete(b, done.subspan(b.first, b.count));
      return;
    }
    const std::error_code code = results.error().code;
    if (code == make_error_code(PostgresErrc::conflict) && ++conflicts < kConflictAttempts)
      continue;
    bool refused_input =
        code == make_error_code(PostgresErrc::statement) && failed < input_statements;
    if (!refused_input) {
      if (code == make_error_code(PostgresErrc::statement) ||
          code == make_error_code(PostgresErrc::conflict))
        collector_->report_error(name_ + ": " + results.error().message + "; failing " +
                                 std::to_string(batch.size()) + " inputs for replay");
      else
        outage(results.error(), batch.size());
      for (Buffered& b : batch) collector_->fail(b.input);
      return;
    }
    // The input whose statement was refused goes; the others move up.
    auto refused = std::find_if(batch.begin(), batch.end(), [&](const Buffered& b) {
      return failed >= b.first && failed < b.first + b.count;
    });
    collector_->report_error(name_ + ": " + results.error().message);
    collector_->fail(refused->input);
    std::vector<Statement> rest;
    std::vector<Buffered> kept;
    for (Buffered& b : batch) {
      if (&b == &*refused) continue;
      std::size_t first = rest.size();
      for (std::size_t i = 0; i < b.count; ++i) rest.push_back(std::move(statements[b.first + i]));
      kept.push_back({std::move(b.input), first, b.count});
    }
    batch.swap(kept);
    statements.swap(rest);
  }
}

void BatchedPostgresBolt::flush_each(std::vector<Buffered>& batch,
                                     std::vector<Statement>& statements) {
  Result<std::vector<Result<QueryResult>>> results = client_->each(statements);
  if (!results) {
    outage(results.error(), batch.size());
    for (Buffered& b : batch) collector_->fail(b.input);
    return;
  }
  outage_reported_ = false;
  for (Buffered& b : batch) {
    std::vector<QueryResult> mine;
    const Error* refused = nullptr;
    for (std::size_t i = b.first; i < b.first + b.count; ++i) {
      Result<QueryResult>& r = results.value()[i];
      if (!r) {
        refused = &r.error();
        break;
      }
      mine.push_back(std::move(r.value()));
    }
    if (refused != nullptr) {
      collector_->report_error(name_ + ": " + refused->message);
      collector_->fail(b.input);
      continue;
    }
    complete(b, mine);
  }
}

void BatchedPostgresBolt::complete(Buffered& buffered, std::span<const QueryResult> results) {
  try {
    on_results(buffered.input, results, *collector_);
  } catch (const std::exception& e) {
    collector_->report_error(name_ + ": " + e.what());
    collector_->fail(buffered.input);
    return;
  }
  collector_->ack(buffered.input);
}

void PostgresUpsertBolt::on_prepare(const Config& config, PostgresClient& client) {
  if (!mapping_) mapping_ = UpsertMapping::from_config(config);
  check_table(client);
}

void PostgresUpsertBolt::check_table(PostgresClient& client) {
  const UpsertMapping& m = *mapping_;
  Result<QueryResult> columns = client.query(
      "SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass($1) AND "
      "a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
      {"\"" + (m.schema.empty() ? m.table : m.schema + "\".\"" + m.table) + "\""});
  if (!columns) {
    if (columns.error().code == make_error_code(PostgresErrc::statement) ||
        columns.error().code == make_error_code(PostgresErrc::schema))
      throw std::invalid_argument(name() + ": " + columns.error().message);
    // The server is not reachable now: the statement is registered and prepared on the first
    // connect, where a table that does not fit fails every batch with the server's message.
    (void)client.prepare("gale_upsert", m.upsert_sql());
    return;
  }
  std::vector<std::string> have;
  for (const auto& row : columns.value().rows)
    if (row.front()) have.push_back(*row.front());
  if (have.empty())
    throw std::invalid_argument(name() + ": " + conf::kUpsertTable + ": table " +
                                m.qualified_table() + " does not exist in " +
                                client.options().describe());
  std::string listing;
  for (const std::string& c : have) listing += (listing.empty() ? "" : ", ") + c;
  for (const std::string& column : m.columns) {
    if (std::find(have.begin(), have.end(), column) == have.end())
      throw std::invalid_argument(name() + ": " + conf::kUpsertColumns + ": table " +
                                  m.qualified_table() + " has no column " + column + " (it has " +
                                  listing + ")");
  }
  // ON CONFLICT (key) needs a unique index on exactly the key's columns (PostgreSQL finds out
  // only when the statement is planned, at its first execution: checked here instead).
  std::string key_list, key_array = "{";
  for (const std::string& c : m.key) {
    key_list += (key_list.empty() ? "" : ", ") + c;
    key_array += (key_array.size() > 1 ? ",\"" : "\"") + c + "\"";
  }
  key_array += "}";
  Result<QueryResult> unique = client.query(
      "SELECT count(*) FROM pg_catalog.pg_index i WHERE i.indrelid = to_regclass($1) AND "
      "i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND (SELECT "
      "array_agg(a.attname::text ORDER BY a.attname) FROM pg_catalog.pg_attribute a WHERE "
      "a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = (SELECT array_agg(k ORDER BY k) "
      "FROM unnest($2::text[]) k)",
      {"\"" + (m.schema.empty() ? m.table : m.schema + "\".\"" + m.table) + "\"", key_array});
  if (unique && unique.value().rows.at(0).at(0) == Param("0"))
    throw std::invalid_argument(name() + ": " + conf::kUpsertKey + " (" + key_list +
                                ") does not fit table " + m.qualified_table() +
                                ": it has no unique index on exactly these columns, which "
                                "ON CONFLICT needs");
  Result<void> prepared = client.prepare("gale_upsert", m.upsert_sql());
  if (!prepared && prepared.error().code == make_error_code(PostgresErrc::statement))
    throw std::invalid_argument(name() + ": the upsert into " + m.qualified_table() +
                                " does not prepare: " + prepared.error().message);
}

std::vector<Statement> PostgresUpsertBolt::statements_for(const Tuple& input) {
  const UpsertMapping& m = *mapping_;
  Statement s{"gale_upsert", {}};
  s.params.reserve(m.fields.size());
  const Fields& fields = input.fields();
  for (const std::string& field : m.fields) {
    if (!fields.contains(field))
      throw std::invalid_argument(name() + ": the input has no field " + field + " (mapped by " +
                                  conf::kUpsertColumns + ")");
    s.params.push_back(to_param(input.get(field)));
  }
  return {std::move(s)};
}

void PostgresLookupBolt::on_prepare(const Config&, PostgresClient& client) {
  Result<void> prepared = client.prepare("gale_lookup", sql_);
  if (!prepared && prepared.error().code == make_error_code(PostgresErrc::statement))
    throw std::invalid_argument(name() + ": " + prepared.error().message);
}

void PostgresLookupBolt::on_results(const Tuple& input, std::span<const QueryResult> results,
                                    OutputCollector& collector) {
  for (const Values& values : rows_(input, results.front())) collector.emit(input, values);
}

}  // namespace gale::postgres
