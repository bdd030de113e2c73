#include "gale/postgres/client.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>

namespace gale::postgres {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kFirstBackoff{50};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The server's message for a refused statement, on one line, with its SQLSTATE.
std::string server_message(const PGresult* result) {
  std::string message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)
                            ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)
                            : PQresultErrorMessage(result);
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL))
    message += " (" + std::string(detail) + ")";
  if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE))
    message += " [SQLSTATE " + std::string(state) + "]";
  return message;
}

// A transaction lost a deadlock or serialization conflict (SQLSTATE class 40).
bool is_conflict(const PGresult* result) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return state != nullptr && state[0] == '4' && state[1] == '0';
}

QueryResult to_query_result(const PGresult* result) {
  QueryResult out;
  int columns = PQnfields(result);
  for (int c = 0; c < columns; ++c) out.columns.emplace_back(PQfname(result, c));
  int rows = PQntuples(result);
  out.rows.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    auto& row = out.rows.emplace_back();
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c))
        row.emplace_back();
      else
        row.emplace_back(std::string(PQgetvalue(result, r, c),
                                     static_cast<std::size_t>(PQgetlength(result, r, c))));
    }
  }
  const char* affected = PQcmdTuples(const_cast<PGresult*>(result));
  if (affected != nullptr && *affected != '\0') out.affected = std::stoll(affected);
  return out;
}

struct ParamArrays {
  std::vector<const char*> values;
  explicit ParamArrays(const std::vector<Param>& params) {
    values.reserve(params.size());
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  }
};

}  // namespace

// One connection in pipeline mode, non-blocking, and the waits on its socket.
struct PostgresClient::Connection {
  PGconn* conn = nullptr;
  std::chrono::milliseconds timeout;

  ~Connection() {
    if (conn != nullptr) PQfinish(conn);
  }

  std::string error() const { return PQerrorMessage(conn); }

  // Waits for `events` on the socket until the deadline; false on a timeout.
  bool wait(short events, Clock::time_point deadline) const {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd fd{PQsocket(conn), events, 0};
      int n = ::poll(&fd, 1, static_cast<int>(left.count()));
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return true;  // let libpq find and report the problem
    }
  }

  // Sends everything queued. An Error for a broken connection or a timeout.
  Result<void> flush() {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      int r = PQflush(conn);
      if (r == 0) return {};
      if (r < 0) return make_error(PostgresErrc::io, error());
      if (!wait(POLLOUT | POLLIN, deadline))
        return make_error(PostgresErrc::timeout,
                          "no progress sending for " + std::to_string(timeout.count()) + " ms");
      if (PQconsumeInput(conn) == 0) return make_error(PostgresErrc::io, error());
      deadline = Clock::now() + timeout;
    }
  }

  // The next result of the pipeline (nullptr between commands). Waits while libpq is busy.
  Result<ResultPtr> next() {
    auto deadline = Clock::now() + timeout;
    while (PQisBusy(conn)) {
      if (!wait(POLLIN, deadline))
        return make_error(PostgresErrc::timeout,
                          "no answer within " + std::to_string(timeout.count()) + " ms");
      if (PQconsumeInput(conn) == 0) return make_error(PostgresErrc::io, error());
    }
    ResultPtr result(PQgetResult(conn));
    if (result && PQstatus(conn) == CONNECTION_BAD) return make_error(PostgresErrc::io, error());
    return result;
  }

  // The result of one command: its results up to the nullptr that ends them. The first
  // error wins; PGRES_PIPELINE_ABORTED means an earlier command failed.
  Result<ResultPtr> command_result() {
    ResultPtr first;
    for (;;) {
      Result<ResultPtr> r = next();
      if (!r) return r.error();
      if (!r.value()) break;
      if (!first) first = std::move(r.value());
    }
    if (!first) {
      if (PQstatus(conn) == CONNECTION_BAD) return make_error(PostgresErrc::io, error());
      return make_error(PostgresErrc::io, "the server sent no result for a command");
    }
    return first;
  }

  // Reads up to and including the pipeline's sync point. An error the server raises at the sync
  // itself (the implicit transaction's COMMIT: a deferred constraint, a serialization failure)
  // comes before it and is handed back in `at_commit`.
  Result<void> sync_result(ResultPtr* at_commit = nullptr) {
    for (int nulls = 0; nulls < 4;) {
      Result<ResultPtr> r = next();
      if (!r) return r.error();
      if (!r.value()) {
        if (PQstatus(conn) == CONNECTION_BAD) return make_error(PostgresErrc::io, error());
        ++nulls;
        continue;
      }
      ExecStatusType status = PQresultStatus(r.value().get());
      if (status == PGRES_PIPELINE_SYNC) return {};
      if (status == PGRES_FATAL_ERROR && at_commit != nullptr && !*at_commit)
        *at_commit = std::move(r.value());
    }
    return make_error(PostgresErrc::io, "the pipeline's sync point never came back");
  }
};

PostgresClient::PostgresClient(ConnectionOptions options) : options_(std::move(options)) {}
PostgresClient::~PostgresClient() = default;

bool PostgresClient::connected() const {
  return connection_ && PQstatus(connection_->conn) == CONNECTION_OK;
}

Error PostgresClient::lost(PostgresErrc code, const std::string& what) {
  connection_.reset();
  // libpq's messages run over several lines; an error report is one.
  std::string line;
  for (char c : what) {
    if (c == '\n' || c == '\t') {
      if (!line.empty() && line.back() != ' ') line += ' ';
    } else {
      line += c;
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return make_error(code, "postgres " + options_.describe() + ": " + line);
}

Result<void> PostgresClient::ensure_connected() {
  if (connected()) return {};
  connection_.reset();
  auto now = Clock::now();
  if (now < retry_at_)
    return make_error(
        PostgresErrc::backoff,
        "postgres " + options_.describe() + ": not retrying for " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now).count()) +
            " ms after a failed connect");
  auto fail = [&](PostgresErrc code, const std::string& why) -> Error {
    backoff_ = backoff_.count() == 0 ? kFirstBackoff
                                     : std::min(backoff_ * 2, options_.reconnect_backoff_max);
    retry_at_ = Clock::now() + backoff_;
    return lost(code, why);
  };
  // libpq's connect_timeout is in whole seconds, at least 2.
  std::string connect_timeout =
      std::to_string(std::max<std::int64_t>(2, (options_.timeout.count() + 999) / 1000));
  std::string port = std::to_string(options_.port);
  std::vector<const char*> keys = {"host",
                                   "port",
                                   "dbname",
                                   "user",
                                   "connect_timeout",
                                   "application_name",
                                   "client_encoding",
                                   "keepalives_idle"};
  std::vector<const char*> values = {options_.host.c_str(),
                                     port.c_str(),
                                     options_.database.c_str(),
                                     options_.user.c_str(),
                                     connect_timeout.c_str(),
                                     "gale",
                                     "UTF8",
                                     "30"};
  if (!options_.password.empty()) {
    keys.push_back("password");
    values.push_back(options_.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  auto connection = std::make_unique<Connection>();
  connection->timeout = options_.timeout;
  connection->conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (connection->conn == nullptr) return fail(PostgresErrc::connect, "out of memory");
  if (PQstatus(connection->conn) != CONNECTION_OK) {
    return fail(PostgresErrc::connect, connection->error());
  }
  if (PQsetnonblocking(connection->conn, 1) != 0 || PQenterPipelineMode(connection->conn) != 1)
    return fail(PostgresErrc::connect, "cannot enter pipeline mode: " + connection->error());
  connection_ = std::move(connection);
  // The session's set-up, then every registered statement, in one round trip.
  for (const std::string& sql : session_setup_) {
    if (PQsendQueryParams(connection_->conn, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                          0) != 1)
      return fail(PostgresErrc::io, connection_->error());
  }
  for (const Prepared& p : prepared_) {
    if (PQsendPrepare(connection_->conn, p.name.c_str(), p.sql.c_str(), 0, nullptr) != 1)
      return fail(PostgresErrc::io, connection_->error());
  }
  if (!prepared_.empty() || !session_setup_.empty()) {
    if (PQpipelineSync(connection_->conn) != 1) return fail(PostgresErrc::io, connection_->error());
    if (auto f = connection_->flush(); !f)
      return fail(static_cast<PostgresErrc>(f.error().code.value()), f.error().message);
    for (const std::string& sql : session_setup_) {
      Result<ResultPtr> r = connection_->command_result();
      if (!r) return fail(PostgresErrc::io, r.error().message);
      if (PQresultStatus(r.value().get()) != PGRES_COMMAND_OK)
        return fail(PostgresErrc::statement,
                    "session set-up \"" + sql + "\" failed: " + server_message(r.value().get()));
    }
    for (const Prepared& p : prepared_) {
      Result<ResultPtr> r = connection_->command_result();
      if (!r) return fail(PostgresErrc::io, r.error().message);
      if (PQresultStatus(r.value().get()) != PGRES_COMMAND_OK)
        return fail(PostgresErrc::statement, "statement " + p.name + " no longer prepares: " +
                                                 server_message(r.value().get()));
    }
    if (auto s = connection_->sync_result(); !s) return fail(PostgresErrc::io, s.error().message);
  }
  backoff_ = std::chrono::milliseconds(0);
  retry_at_ = {};
  return {};
}

Result<void> PostgresClient::add_session_setup(const std::string& sql) {
  session_setup_.push_back(sql);
  if (!connected()) {
    Result<void> c = ensure_connected();
    if (!c && c.error().code == make_error_code(PostgresErrc::statement)) session_setup_.pop_back();
    return c;
  }
  Result<QueryResult> r = query(sql);
  if (!r) {
    if (r.error().code == make_error_code(PostgresErrc::statement)) session_setup_.pop_back();
    return r.error();
  }
  return {};
}

Result<void> PostgresClient::prepare(const std::string& name, const std::string& sql) {
  auto existing = std::find_if(prepared_.begin(), prepared_.end(),
                               [&](const Prepared& p) { return p.name == name; });
  if (existing != prepared_.end()) {
    if (existing->sql == sql) return {};
    return make_error(PostgresErrc::statement,
                      "statement " + name + " is already prepared with other SQL");
  }
  if (!connected()) {
    if (Result<void> c = ensure_connected(); !c) {
      // Prepared with the others on the next connect.
      prepared_.push_back({name, sql});
      return c;
    }
  }
  PGconn* conn = connection_->conn;
  if (PQsendPrepare(conn, name.c_str(), sql.c_str(), 0, nullptr) != 1 || PQpipelineSync(conn) != 1)
    return lost(PostgresErrc::io, connection_->error());
  if (auto f = connection_->flush(); !f) return lost(PostgresErrc::io, f.error().message);
  Result<ResultPtr> r = connection_->command_result();
  if (!r) return lost(static_cast<PostgresErrc>(r.error().code.value()), r.error().message);
  if (auto s = connection_->sync_result(); !s)
    return lost(static_cast<PostgresErrc>(s.error().code.value()), s.error().message);
  if (PQresultStatus(r.value().get()) != PGRES_COMMAND_OK)
    return make_error(PostgresErrc::statement,
                      "postgres " + options_.describe() + ": " + name +
                          " does not prepare: " + server_message(r.value().get()));
  prepared_.push_back({name, sql});
  return {};
}

Result<std::vector<QueryResult>> PostgresClient::transaction(std::span<const Statement> statements,
                                                             std::size_t* failed) {
  if (auto c = ensure_connected(); !c) return c.error();
  PGconn* conn = connection_->conn;
  // Everything before a sync point is one implicit transaction: committed at the sync when
  // every statement succeeded, rolled back when one failed (the rest are not run).
  for (const Statement& s : statements) {
    ParamArrays params(s.params);
    if (PQsendQueryPrepared(conn, s.name.c_str(), static_cast<int>(params.values.size()),
                            params.values.data(), nullptr, nullptr, 0) != 1)
      return lost(PostgresErrc::io, connection_->error());
  }
  if (PQpipelineSync(conn) != 1) return lost(PostgresErrc::io, connection_->error());
  if (auto f = connection_->flush(); !f)
    return lost(static_cast<PostgresErrc>(f.error().code.value()), f.error().message);
  std::vector<QueryResult> results;
  results.reserve(statements.size());
  std::optional<Error> refused;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    Result<ResultPtr> r = connection_->command_result();
    if (!r) return lost(static_cast<PostgresErrc>(r.error().code.value()), r.error().message);
    ExecStatusType status = PQresultStatus(r.value().get());
    if (refused || status == PGRES_PIPELINE_ABORTED) continue;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      refused = make_error(
          is_conflict(r.value().get()) ? PostgresErrc::conflict : PostgresErrc::statement,
          "postgres " + options_.describe() + ": " + statements[i].name + " (statement " +
              std::to_string(i + 1) + " of " + std::to_string(statements.size()) +
              "): " + server_message(r.value().get()));
      if (failed != nullptr) *failed = i;
      continue;
    }
    results.push_back(to_query_result(r.value().get()));
  }
  ResultPtr at_commit;
  if (auto s = connection_->sync_result(&at_commit); !s)
    return lost(static_cast<PostgresErrc>(s.error().code.value()), s.error().message);
  if (refused) return *refused;
  if (at_commit)  // every statement ran, the commit did not: nothing of the batch stays
    return make_error(
        is_conflict(at_commit.get()) ? PostgresErrc::conflict : PostgresErrc::statement,
        "postgres " + options_.describe() +
            ": the commit failed: " + server_message(at_commit.get()));
  return results;
}

Result<std::vector<Result<QueryResult>>> PostgresClient::each(
    std::span<const Statement> statements) {
  if (auto c = ensure_connected(); !c) return c.error();
  PGconn* conn = connection_->conn;
  for (const Statement& s : statements) {
    ParamArrays params(s.params);
    if (PQsendQueryPrepared(conn, s.name.c_str(), static_cast<int>(params.values.size()),
                            params.values.data(), nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(conn) != 1)
      return lost(PostgresErrc::io, connection_->error());
  }
  if (auto f = connection_->flush(); !f)
    return lost(static_cast<PostgresErrc>(f.error().code.value()), f.error().message);
  std::vector<Result<QueryResult>> results;
  results.reserve(statements.size());
  for (const Statement& s : statements) {
    Result<ResultPtr> r = connection_->command_result();
    if (!r) return lost(static_cast<PostgresErrc>(r.error().code.value()), r.error().message);
    ResultPtr at_commit;
    if (auto sync = connection_->sync_result(&at_commit); !sync)
      return lost(static_cast<PostgresErrc>(sync.error().code.value()), sync.error().message);
    ExecStatusType status = PQresultStatus(r.value().get());
    if (at_commit)
      results.emplace_back(make_error(
          PostgresErrc::statement, "postgres " + options_.describe() + ": " + s.name +
                                       ": the commit failed: " + server_message(at_commit.get())));
    else if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
      results.emplace_back(to_query_result(r.value().get()));
    else
      results.emplace_back(
          make_error(PostgresErrc::statement, "postgres " + options_.describe() + ": " + s.name +
                                                  ": " + server_message(r.value().get())));
  }
  return results;
}

Result<QueryResult> PostgresClient::query(const std::string& sql,
                                          const std::vector<Param>& params) {
  if (auto c = ensure_connected(); !c) return c.error();
  PGconn* conn = connection_->conn;
  ParamArrays values(params);
  if (PQsendQueryParams(conn, sql.c_str(), static_cast<int>(values.values.size()), nullptr,
                        values.values.data(), nullptr, nullptr, 0) != 1 ||
      PQpipelineSync(conn) != 1)
    return lost(PostgresErrc::io, connection_->error());
  if (auto f = connection_->flush(); !f)
    return lost(static_cast<PostgresErrc>(f.error().code.value()), f.error().message);
  Result<ResultPtr> r = connection_->command_result();
  if (!r) return lost(static_cast<PostgresErrc>(r.error().code.value()), r.error().message);
  if (auto s = connection_->sync_result(); !s)
    return lost(static_cast<PostgresErrc>(s.error().code.value()), s.error().message);
  ExecStatusType status = PQresultStatus(r.value().get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return make_error(PostgresErrc::statement,
                      "postgres " + options_.describe() + ": " + server_message(r.value().get()));
  return to_query_result(r.value().get());
}

}  // namespace gale::postgres
