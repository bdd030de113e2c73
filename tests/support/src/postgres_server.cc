#include "gale/testing/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gale::testing {

namespace {

constexpr auto kStartLimit = std::chrono::seconds(30);

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The newest PostgreSQL's programs under /usr/lib/postgresql/<major>/bin (Debian's layout).
std::string find_bin_dir() {
  namespace fs = std::filesystem;
  std::string best;
  int best_major = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!fs::exists(entry.path() / "bin" / "postgres")) continue;
    int major = std::stoi(name);
    if (major > best_major) best_major = major, best = (entry.path() / "bin").string();
  }
  if (best.empty())
    throw std::runtime_error(
        "PostgresServer: no /usr/lib/postgresql/<version>/bin/postgres; scripts/setup.sh installs "
        "the postgresql package");
  return best;
}

std::string random_password() {
  static constexpr char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 24; ++i) out += kAlphabet[rd() % (sizeof kAlphabet - 1)];
  return out;
}

// The pids whose parent is `parent` (a postmaster's backends and helpers).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...; comm may hold spaces and parentheses: read after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

}  // namespace

PostgresServer::PostgresServer() : bin_(find_bin_dir()), password_(random_password()) {
  char dir[] = "/tmp/gale-postgres-XXXXXX";
  if (mkdtemp(dir) == nullptr)
    throw std::runtime_error("PostgresServer: cannot create a temporary dir");
  dir_ = dir;
  if (geteuid() == 0) {
    const passwd* nobody = getpwnam("nobody");
    if (nobody == nullptr) throw std::runtime_error("PostgresServer: no user nobody to run as");
    user_ = SpawnOptions::User{nobody->pw_uid, nobody->pw_gid};
    if (chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0)
      throw std::runtime_error("PostgresServer: cannot give " + dir_ + " to nobody");
  }
  std::string password_file = dir_ + "/password";
  {
    std::ofstream out(password_file);
    out << password_ << "\n";
  }
  if (user_) chown(password_file.c_str(), user_->uid, user_->gid);
  CommandResult init =
      run_command({bin_ + "/initdb", "-D", dir_ + "/data", "-U", user(), "--pwfile", password_file,
                   "--auth", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"},
                  user_);
  std::filesystem::remove(password_file);
  if (init.exit_code != 0) {
    std::filesystem::remove_all(dir_);
    throw std::runtime_error("PostgresServer: initdb failed:\n" + init.output);
  }
  // A free port can be taken by someone else before the server binds it: then try another.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 3) {
        std::filesystem::remove_all(dir_);
        throw;
      }
    }
  }
}

PostgresServer::~PostgresServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PostgresServer::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database() +
         " user=" + user() + " password=" + password_ + " connect_timeout=5";
}

bool PostgresServer::running() {
  return process_ && process_->running();
}

void PostgresServer::stop() {
  resume();
  if (process_) process_->stop(SIGINT);
  process_.reset();
}

void PostgresServer::kill_hard() {
  resume();
  if (!process_) return;
  // The postmaster first, then what it leaves: backends exit on their own once it is gone, but
  // a crash should leave nothing behind that holds the port or the shared memory.
  std::vector<pid_t> backends = children_of(process_->pid());
  process_->stop(SIGKILL);
  for (pid_t pid : backends) kill(pid, SIGKILL);
  process_.reset();
}

void PostgresServer::restart() {
  stop();
  start();
}

void PostgresServer::signal_all(int signal) {
  if (!process_) return;
  kill(process_->pid(), signal);
  for (pid_t pid : children_of(process_->pid())) kill(pid, signal);
}

void PostgresServer::pause() {
  if (!running() || paused_) return;
  signal_all(SIGSTOP);
  paused_ = true;
}

void PostgresServer::resume() {
  if (!paused_) return;
  signal_all(SIGCONT);
  paused_ = false;
}

void PostgresServer::start() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{bin_ + "/postgres", "-D", dir_ + "/data", "-p",
                               std::to_string(port_), "-c", "listen_addresses=127.0.0.1", "-c",
                               "unix_socket_directories=" + dir_, "-c", "fsync=off", "-c",
                               "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
                               "max_connections=60", "-c", "shared_buffers=64MB"},
      log_path(), user_);
  auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  std::string ping = "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database() +
                     " user=" + user() + " connect_timeout=2";
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(ping.c_str()) == PQPING_OK) return;
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  process_.reset();
  throw std::runtime_error("PostgresServer: postgres on port " + std::to_string(port_) +
                           " did not accept connections; its log:\n" + read_file(log_path()));
}

void PostgresServer::execute(const std::string& sql) const {
  query(sql);
}

PostgresServer::Rows PostgresServer::query(const std::string& sql) const {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo().c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error("PostgresServer: cannot connect: " +
                             std::string(PQerrorMessage(conn.get())));
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);  // a test's set-up: quiet
  // PQexec runs several statements; the last one's result comes back.
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("PostgresServer: " + sql + ": " +
                             std::string(PQresultErrorMessage(result.get())));
  Rows rows;
  for (int r = 0; r < PQntuples(result.get()); ++r) {
    auto& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(result.get()); ++c) {
      if (PQgetisnull(result.get(), r, c))
        row.emplace_back();
      else
        row.emplace_back(PQgetvalue(result.get(), r, c));
    }
  }
  return rows;
}

std::string PostgresServer::scalar(const std::string& sql) const {
  Rows rows = query(sql);
  if (rows.empty() || rows.front().empty() || !rows.front().front()) return "";
  return *rows.front().front();
}

}  // namespace gale::testing
