#pragma once
// A PostgreSQL client on libpq for bolts: statements prepared once per connection (again after
// every reconnect), a batch sent pipelined (libpq's pipeline mode: one round trip for the whole
// batch), reconnect with backoff, and every wait bounded by a timeout (the socket is
// non-blocking and polled: a hung server costs a `timeout`, never a stuck executor).
//
// Values travel as text and come back as text: a numeric keeps every digit, nothing passes
// through a double. NULL is std::nullopt both ways.
//
// Threading: not thread-safe; one client per bolt instance, used from its executor's thread.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gale/postgres/errc.h"
#include "gale/postgres/options.h"
#include "gale/result.h"

namespace gale::postgres {

using Param = std::optional<std::string>;  // a parameter's text, or SQL NULL

// One execution of a prepared statement.
struct Statement {
  std::string name;  // as given to PostgresClient::prepare
  std::vector<Param> params;
};

// What a statement returned: its column names and rows (each value as text or NULL), and the
// number of rows it inserted, updated or deleted.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Param>> rows;
  std::int64_t affected = 0;
};

class PostgresClient {
 public:
  explicit PostgresClient(ConnectionOptions options);
  ~PostgresClient();
  PostgresClient(const PostgresClient&) = delete;
  PostgresClient& operator=(const PostgresClient&) = delete;

  // Runs `sql` (one statement, no parameters) on this and every later connection before the
  // statements are prepared: a session's set-up, such as the temporary table a bolt's
  // statements use. An error as prepare()'s.
  Result<void> add_session_setup(const std::string& sql);

  // Registers `sql` under `name`, prepared on this and every later connection. Connects if not
  // connected: an error if the server cannot be reached (the statement stays registered and is
  // prepared on the next connect) or refuses the statement (`statement`, with the server's
  // message: then it is not registered).
  Result<void> prepare(const std::string& name, const std::string& sql);

  // Runs `statements` in one transaction, pipelined: every statement's result, or an Error.
  // On an Error nothing of the batch stays: `statement` means the server refused statement
  // `*failed` (set when given) and the connection is usable; `conflict` that the transaction
  // lost a deadlock or serialization conflict (worth running again); the other codes mean the
  // connection was lost or timed out (and whether the COMMIT landed is unknown, so callers
  // write idempotently and retry the whole batch).
  Result<std::vector<QueryResult>> transaction(std::span<const Statement> statements,
                                               std::size_t* failed = nullptr);

  // Runs each statement on its own (its own implicit transaction), all pipelined: one result
  // per statement, a refused statement being a `statement` Error in its slot alone. The outer
  // Error is for the connection (lost, timeout, backoff).
  Result<std::vector<Result<QueryResult>>> each(std::span<const Statement> statements);

  // An unprepared statement with parameters, on its own: for set-up and checks (the bolts
  // validate their tables with it).
  Result<QueryResult> query(const std::string& sql, const std::vector<Param>& params = {});

  bool connected() const;
  const ConnectionOptions& options() const { return options_; }

 private:
  struct Connection;
  struct Prepared {
    std::string name;
    std::string sql;
  };

  Result<void> ensure_connected();
  Error lost(PostgresErrc code, const std::string& what);

  ConnectionOptions options_;
  std::unique_ptr<Connection> connection_;
  std::vector<std::string> session_setup_;
  std::vector<Prepared> prepared_;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace gale::postgres
