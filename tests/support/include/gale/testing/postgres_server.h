#pragma once
// A real PostgreSQL server for tests, from Debian's packages: a fresh cluster (initdb) in its
// own temporary folder, listening on 127.0.0.1 and a free port only (its Unix socket in that
// folder), password authentication (SCRAM) for the role `gale`. PostgreSQL refuses to run as
// root, so when the tests run as root (CI does) the cluster belongs to `nobody` and initdb and
// the server run as that user: no more privilege than a database needs. fsync is off: a test
// server, never a model for production. Ready (accepting connections) when the constructor or
// restart() returns.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gale/testing/child_process.h"

namespace gale::testing {

class PostgresServer {
 public:
  // Throws std::runtime_error (with initdb's or the server's log) if the cluster cannot be
  // made or the server does not accept connections within 30 s.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  static constexpr const char* user() { return "gale"; }
  const std::string& password() const { return password_; }
  static constexpr const char* database() { return "postgres"; }
  // A libpq connection string for the role above.
  std::string conninfo() const;

  bool running();
  // SIGINT (PostgreSQL's fast shutdown) and wait: an outage. The data stays; restart() brings
  // the server back with it.
  void stop();
  // SIGKILL of the postmaster: a crash. restart() recovers from the WAL.
  void kill_hard();
  void restart();
  // SIGSTOP / SIGCONT of the postmaster and its backends: a hung server.
  void pause();
  void resume();

  // Runs `sql` (one or several statements) as `gale`; throws std::runtime_error with the
  // server's message on error. For the tests' own set-up and checks.
  void execute(const std::string& sql) const;
  // The rows of one query, each column as text (nothing for NULL).
  using Rows = std::vector<std::vector<std::optional<std::string>>>;
  Rows query(const std::string& sql) const;
  // The first column of the first row ("" when there is none or it is NULL).
  std::string scalar(const std::string& sql) const;

  std::string log_path() const { return dir_ + "/postgres.log"; }

 private:
  void start();
  void signal_all(int signal);

  std::string dir_;
  std::string bin_;
  std::string password_;
  int port_ = 0;
  std::optional<SpawnOptions::User> user_;
  std::unique_ptr<ChildProcess> process_;
  bool paused_ = false;
};

}  // namespace gale::testing
