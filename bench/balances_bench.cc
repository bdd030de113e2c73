// gale-balances-bench: the balances application's write path and its query service.
//
// 1. Changes per second from Kafka into the PostgreSQL balances: balances.so in-process (as
//    `gale local` runs it), reading a core banking log (gale-gen's model, Debezium JSON) from
//    librdkafka's mock cluster, against a bare libpq loop doing the same work on the same
//    changes in the same run: per account change the topology's lock and upsert (ledger.h's
//    account_lock_sql and account_sql: fenced by position, its effect into the delta table),
//    per batch the totals
//    (apply_totals_sql), one pipelined implicit transaction per batch of the same size, one
//    connection per writer, accounts split between the writers as fields grouping splits them.
//    The loop gets the changes already decoded in memory: what it leaves out (reading Kafka,
//    decoding JSON, tuples, acking, the branch and institution upserts, the history ticks) is
//    exactly Gale's cost. Every run's tables are checked against the generator's manifest.
// 2. The latency of a gale-query template (the daemon, over HTTP on loopback, one keep-alive
//    connection, --query-rate requests a second) while the topology writes, and idle on the
//    same tables afterwards.
//
// Against gale::testing's PostgreSQL (a throwaway cluster: fsync and synchronous_commit off, so
// the database's own cost is as low as it gets and Gale's share shows the most).
// librdkafka's mock broker keeps only the newest 5 MiB of a partition: the log must fit.
//   gale-balances-bench [--changes 60000] [--accounts 10000] [--batch 100] [--writers 2]
//                       [--partitions 6] [--rounds 3] [--query-rate 100]
#include <fmt/format.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <sched.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gale/balances/ledger.h"
#include "gale/cdc/change.h"
#include "gale/events/core_banking.h"
#include "gale/kafka/mock_cluster.h"
#include "gale/runtime/local_cluster.h"
#include "gale/runtime/topology_loader.h"
#include "gale/testing/child_process.h"
#include "gale/testing/postgres_server.h"
#include "machine.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using gale::balances::AccountState;
using gale::testing::PostgresServer;

struct Options {
  std::int64_t changes = 60'000;
  int accounts = 10'000;
  int batch = 100;
  int writers = 2;
  int partitions = 6;
  int rounds = 5;
  double query_rate = 100;  // requests a second
  bool split = false;       // the database on CPU 0, everything else on the others
  double duplicates = 0.02;
  std::uint64_t seed = 7;
  std::vector<std::string> settings;  // more topology config, "key=value"
  std::string topology = GALE_BALANCES_SO;
  std::string query_bin = GALE_QUERY_BIN;
  std::string templates = GALE_BALANCES_TEMPLATES;
  std::string schema = GALE_BALANCES_SCHEMA;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The log, the changes the loop writes, and what the tables must end up holding.
struct Workload {
  std::vector<gale::events::CdcRecord> records;
  std::vector<AccountState> account_changes;  // in log order
  gale::events::CoreBankingManifest manifest;
  std::size_t bytes = 0;
};

Workload make_workload(const Options& o) {
  gale::events::CoreBankingOptions g;
  g.seed = o.seed;
  g.accounts = o.accounts;
  g.duplicates = o.duplicates;
  gale::events::CoreBankingGenerator generator(g, gale::events::CdcFormat::debezium);
  Workload w;
  w.records.reserve(static_cast<std::size_t>(o.changes));
  for (std::int64_t i = 0; i < o.changes; ++i) {
    w.records.push_back(generator.next());
    w.bytes += w.records.back().key.size() + w.records.back().value.size();
    auto changes = gale::cdc::decode(gale::cdc::Format::debezium, w.records.back().key,
                                     w.records.back().value);
    if (!changes)
      throw std::runtime_error("the generator wrote a bad record: " + changes.error().message);
    for (const auto& change : changes.value()) {
      if (change.table != "accounts") continue;
      auto a = gale::balances::account_of(change);
      if (!a) throw std::runtime_error(a.error().message);
      w.account_changes.push_back(std::move(a).value());
    }
  }
  w.manifest = generator.manifest();
  return w;
}

// Transactions committed in the database so far (the statistics are flushed within a second).
std::int64_t commits(const PostgresServer& pg) {
  std::this_thread::sleep_for(1100ms);
  return std::stoll(
      pg.scalar("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"));
}

void reset_schema(const PostgresServer& pg, const std::string& schema_sql) {
  pg.execute("DROP SCHEMA IF EXISTS balances CASCADE");
  pg.execute(schema_sql);
}

// "" when every open account holds the manifest's balance, no other is open and (with
// `institutions`: the topology writes the branches they hang on, the loop does not) every
// institution's totals are the manifest's; else the first difference.
std::string check_tables(const PostgresServer& pg, const gale::events::CoreBankingManifest& m,
                         bool institutions) {
  auto rows = pg.query(
      "SELECT account_id, (balance * 100)::bigint FROM balances.account_balance WHERE open");
  if (rows.size() != m.accounts.size())
    return fmt::format("{} open accounts, {} expected", rows.size(), m.accounts.size());
  for (const auto& row : rows) {
    auto it = m.accounts.find(*row.at(0));
    if (it == m.accounts.end() || std::to_string(it->second) != *row.at(1))
      return "account " + *row.at(0) + " differs";
  }
  if (!institutions) return "";
  for (const auto& [institution, currencies] : m.institutions)
    for (const auto& [currency, total] : currencies)
      if (pg.scalar("SELECT (total * 100)::bigint FROM balances.by_institution WHERE "
                    "institution_id = '" +
                    institution + "' AND currency = '" + currency + "'") != std::to_string(total))
        return "institution " + institution + " " + currency + " differs";
  return "";
}

// ---- the bare libpq loop --------------------------------------------------------------------

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

void must(PGconn* c, PGresult* r, const char* what) {
  auto status = PQresultStatus(r);
  std::string error = PQresultErrorMessage(r);
  PQclear(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(fmt::format("{}: {}{}", what, error, PQerrorMessage(c)));
}

PgConn connect(const PostgresServer& pg) {
  PgConn c(PQconnectdb(pg.conninfo().c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("connect: ") + PQerrorMessage(c.get()));
  return c;
}

// One writer: its accounts' changes in batches, each batch one pipelined implicit transaction.
void write_changes(PGconn* c, const std::vector<const AccountState*>& changes, int batch) {
  if (PQenterPipelineMode(c) != 1) throw std::runtime_error("pipeline mode refused");
  for (std::size_t begin = 0; begin < changes.size(); begin += static_cast<std::size_t>(batch)) {
    std::size_t end = std::min(changes.size(), begin + static_cast<std::size_t>(batch));
    for (std::size_t i = begin; i < end; ++i) {
      const AccountState& a = *changes[i];
      std::string commit_ms = std::to_string(a.commit_ms);
      const char* values[8] = {a.account_id.c_str(), a.branch_id.c_str(), a.currency.c_str(),
                               a.product.c_str(),    a.balance.c_str(),   a.open ? "t" : "f",
                               a.position.c_str(),   commit_ms.c_str()};
      if (PQsendQueryPrepared(c, "lock", 1, values, nullptr, nullptr, 0) != 1 ||
          PQsendQueryPrepared(c, "account", 8, values, nullptr, nullptr, 0) != 1)
        throw std::runtime_error(std::string("send: ") + PQerrorMessage(c));
    }
    if (PQsendQueryPrepared(c, "totals", 0, nullptr, nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(c) != 1)
      throw std::runtime_error(std::string("send: ") + PQerrorMessage(c));
    for (;;) {
      PGresult* r = PQgetResult(c);
      if (r == nullptr) {  // the end of one statement's results, or a lost connection
        if (PQstatus(c) == CONNECTION_BAD)
          throw std::runtime_error(std::string("connection lost: ") + PQerrorMessage(c));
        continue;
      }
      auto status = PQresultStatus(r);
      if (status == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        break;
      }
      if (status == PGRES_FATAL_ERROR || status == PGRES_PIPELINE_ABORTED) must(c, r, "batch");
      PQclear(r);
    }
  }
}

double bare_loop(const PostgresServer& pg, const Workload& w, const Options& o) {
  std::vector<std::vector<const AccountState*>> parts(static_cast<std::size_t>(o.writers));
  for (const auto& a : w.account_changes)
    parts[std::hash<std::string>{}(a.account_id) % parts.size()].push_back(&a);
  std::vector<PgConn> connections;
  for (int i = 0; i < o.writers; ++i) {
    connections.push_back(connect(pg));
    PGconn* c = connections.back().get();
    must(c, PQexec(c, std::string(gale::balances::delta_table_sql()).c_str()), "delta table");
    must(c,
         PQprepare(c, "lock", std::string(gale::balances::account_lock_sql()).c_str(), 0, nullptr),
         "prepare");
    must(c, PQprepare(c, "account", std::string(gale::balances::account_sql()).c_str(), 0, nullptr),
         "prepare");
    must(
        c,
        PQprepare(c, "totals", std::string(gale::balances::apply_totals_sql()).c_str(), 0, nullptr),
        "prepare");
  }
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  std::vector<std::string> errors(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        write_changes(connections[i].get(), parts[i], o.batch);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  double secs = seconds_since(t0);
  for (const auto& e : errors)
    if (!e.empty()) throw std::runtime_error("the bare loop: " + e);
  return secs;
}

// ---- the topology ---------------------------------------------------------------------------

void produce(const std::string& bootstrap, const std::string& topic,
             const std::vector<gale::events::CdcRecord>& records) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("producer: ") + err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("producer: ") + err);
  }
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> owner(rk, rd_kafka_destroy);
  for (const auto& r : records) {
    for (;;) {
      auto e =
          rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                            RD_KAFKA_V_KEY(const_cast<char*>(r.key.data()), r.key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
      rd_kafka_poll(rk, 10);
    }
  }
  if (rd_kafka_flush(rk, 60'000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error("produce: not delivered within 60 s");
}

struct TopologyRun {
  double secs = 0;          // from the first committed batch to the last change acked
  double startup_secs = 0;  // from start() to the first committed batch
  std::int64_t measured = 0;
  std::string note;
};

// `writing`, when given, is true from the first committed batch to the last ack.
TopologyRun run_topology(const Options& o, const PostgresServer& pg, const Workload& w, int round,
                         std::atomic<bool>* writing = nullptr) {
  gale::kafka::MockCluster kafka;
  kafka.create_topic("core-banking", o.partitions);
  produce(kafka.bootstrap_servers(), "core-banking", w.records);

  gale::Config conf;
  conf.set("balances.source", "kafka");
  conf.set("balances.format", "debezium");
  conf.set("balances.writer.parallelism", o.writers);
  conf.set("kafka.bootstrap.servers", kafka.bootstrap_servers());
  conf.set("kafka.topics", "core-banking");
  conf.set("kafka.group.id", fmt::format("balances-bench-{}", round));
  conf.set("postgres.port", pg.port());
  conf.set("postgres.user", PostgresServer::user());
  conf.set("postgres.password", pg.password());
  conf.set("postgres.batch.size", o.batch);
  for (const auto& s : o.settings) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::runtime_error("--set '" + s + "': expected key=value");
    if (auto r = conf.set(std::string_view(s).substr(0, eq), std::string_view(s).substr(eq + 1));
        !r)
      throw std::runtime_error("--set '" + s + "': " + r.message);
  }
  auto loaded = gale::runtime::load_topology(o.topology, conf);
  if (!loaded) throw std::runtime_error(loaded.error().message);
  gale::runtime::LocalCluster cluster("balances-bench", std::move(loaded.value().topology), conf);
  const auto n = static_cast<std::uint64_t>(w.records.size());
  auto acked = [&] {
    auto stats = cluster.stats();
    const auto* c = stats.find("log");
    return c == nullptr ? 0 : c->acked;
  };
  TopologyRun r;
  auto t0 = Clock::now();
  cluster.start();
  auto deadline = t0 + 300s;
  std::uint64_t first = 0;
  while ((first = acked()) == 0 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  if (first == 0) {
    cluster.stop();
    throw std::runtime_error("the topology committed nothing within 300 s");
  }
  auto t1 = Clock::now();
  if (writing != nullptr) *writing = true;
  r.startup_secs = std::chrono::duration<double>(t1 - t0).count();
  while (acked() < n && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  r.secs = seconds_since(t1);
  if (writing != nullptr) *writing = false;
  r.measured = static_cast<std::int64_t>(n - first);
  if (acked() < n) r.note = fmt::format("only {} of {} acked within 300 s", acked(), n);
  if (!cluster.drain(60s)) r.note += " not drained";
  cluster.stop();
  auto stats = cluster.stats();
  if (const auto* log = stats.find("log"); log != nullptr && log->failed > 0)
    r.note += fmt::format(" {} trees failed (replayed)", log->failed);
  return r;
}

// ---- gale-query over HTTP -------------------------------------------------------------------

class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}
  // The status of GET `target` (0 when the connection failed); the time it took.
  int get(const std::string& target, double* millis) {
    namespace http = boost::beast::http;
    auto t0 = Clock::now();
    try {
      if (!stream_) {
        stream_ = std::make_unique<boost::beast::tcp_stream>(io_);
        stream_->connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                        static_cast<unsigned short>(port_)));
      }
      http::request<http::empty_body> request{http::verb::get, target, 11};
      request.set(http::field::host, "127.0.0.1");
      request.keep_alive(true);
      http::write(*stream_, request);
      boost::beast::flat_buffer buffer;
      http::response<http::string_body> response;
      http::read(*stream_, buffer, response);
      if (!response.keep_alive()) stream_.reset();
      *millis = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      return static_cast<int>(response.result_int());
    } catch (const std::exception&) {
      stream_.reset();
      return 0;
    }
  }

 private:
  int port_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::beast::tcp_stream> stream_;
};

struct Latencies {
  std::vector<double> millis;
  int errors = 0;
};

void print_latencies(const char* name, const Latencies& l, double secs) {
  fmt::print("{:<44} {:>8} {:>9.0f} {:>8.2f} {:>8.2f} {:>8.2f} {:>7}\n", name, l.millis.size(),
             static_cast<double>(l.millis.size()) / secs, percentile(l.millis, 0.5),
             percentile(l.millis, 0.99), percentile(l.millis, 1.0), l.errors);
}

// The database as if on a machine of its own: the postmaster (so every backend it forks from
// now on) on CPU 0, this process (the loop, the topology, gale-query: children inherit it) on
// the others.
void split_cpus(const PostgresServer& pg) {
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  if (cpus < 2) throw std::runtime_error("--split needs at least 2 CPUs");
  std::ifstream pid_file(std::filesystem::path(pg.log_path()).parent_path() / "data" /
                         "postmaster.pid");
  pid_t postmaster = 0;
  if (!(pid_file >> postmaster) || postmaster <= 0)
    throw std::runtime_error("--split: no postmaster.pid beside " + pg.log_path());
  cpu_set_t database, rest;
  CPU_ZERO(&database);
  CPU_ZERO(&rest);
  CPU_SET(0, &database);
  for (int cpu = 1; cpu < cpus; ++cpu) CPU_SET(cpu, &rest);
  if (::sched_setaffinity(postmaster, sizeof database, &database) != 0 ||
      ::sched_setaffinity(0, sizeof rest, &rest) != 0)
    throw std::runtime_error(std::string("--split: sched_setaffinity: ") + std::strerror(errno));
  fmt::print("split: PostgreSQL on CPU 0, the rest on CPU 1..{}\n", cpus - 1);
}

void run_benchmark(const Options& o) {
  gale::bench::print_machine("gale-balances-bench");
  Workload w = make_workload(o);
  const double per_partition = static_cast<double>(w.bytes) / o.partitions / (1024.0 * 1024.0);
  if (per_partition > 4.5)
    throw std::runtime_error(fmt::format(
        "{:.1f} MiB per partition: librdkafka's mock broker keeps only 5 MiB of each; use more "
        "--partitions or fewer --changes",
        per_partition));
  fmt::print(
      "{} records (Debezium JSON, {:.1f} MiB, {} partitions), {} account changes, {} accounts, "
      "{:.0f} % redelivered; batch {}, {} writers; {} rounds\n\n",
      w.records.size(), static_cast<double>(w.bytes) / (1024.0 * 1024.0), o.partitions,
      w.account_changes.size(), o.accounts, o.duplicates * 100, o.batch, o.writers, o.rounds);
  std::fflush(stdout);

  PostgresServer pg;
  if (o.split) split_cpus(pg);
  const std::string schema = slurp(o.schema);
  std::vector<double> loop_rates, topo_rates, ratios, startups;
  std::string notes;
  for (int round = 0; round < o.rounds; ++round) {
    reset_schema(pg, schema);
    std::int64_t c0 = commits(pg);
    double loop_secs = bare_loop(pg, w, o);
    std::int64_t c1 = commits(pg);
    if (auto bad = check_tables(pg, w.manifest, false); !bad.empty())
      throw std::runtime_error("the bare loop's tables are wrong: " + bad);
    reset_schema(pg, schema);
    std::int64_t c2 = commits(pg);
    TopologyRun t = run_topology(o, pg, w, round);
    std::int64_t c3 = commits(pg);
    if (auto bad = check_tables(pg, w.manifest, true); !bad.empty())
      t.note += " TABLES WRONG: " + bad;
    // Both as account changes per second: the loop writes only those; the topology's share of
    // them is the share of its measured records.
    double loop_rate = static_cast<double>(w.account_changes.size()) / loop_secs;
    double topo_rate = static_cast<double>(t.measured) / t.secs *
                       static_cast<double>(w.account_changes.size()) /
                       static_cast<double>(w.records.size());
    loop_rates.push_back(loop_rate);
    topo_rates.push_back(topo_rate);
    ratios.push_back(topo_rate / loop_rate);
    startups.push_back(t.startup_secs);
    if (!t.note.empty()) notes += fmt::format(" round {}:{}", round + 1, t.note);
    fmt::print(
        "round {}: loop {:.0f} changes/s, topology {:.0f} changes/s ({:.0f} %); transactions: "
        "loop {}, topology {}{}\n",
        round + 1, loop_rate, topo_rate, 100 * topo_rate / loop_rate, c1 - c0, c3 - c2, t.note);
    std::fflush(stdout);
  }
  auto row = [](const char* name, const std::vector<double>& v) {
    fmt::print("{:<44} {:>9.0f} {:>9.0f} {:>9.0f}\n", name, median(v),
               *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  };
  fmt::print("\n{:<44} {:>9} {:>9} {:>9}\n", "account changes/s into PostgreSQL", "median", "min",
             "max");
  row("bare libpq loop (decoded changes in memory)", loop_rates);
  row("balances.so from Kafka", topo_rates);
  fmt::print("topology / loop: median {:.0f} % (min {:.0f} %, max {:.0f} %); {}\n",
             100 * median(ratios), 100 * *std::min_element(ratios.begin(), ratios.end()),
             100 * *std::max_element(ratios.begin(), ratios.end()),
             notes.find("TABLES WRONG") == std::string::npos
                 ? "tables = manifest in every run" + notes
                 : "NOT EXACT:" + notes);
  fmt::print(
      "(the topology's figure runs from its first committed batch to its last ack; before "
      "that, {:.1f} s median to open, join the consumer group and commit a first batch)\n\n",
      median(startups));
  std::fflush(stdout);

  // A template's latency while the topology writes, then idle on the same tables.
  reset_schema(pg, schema);
  const int port = gale::testing::free_port();
  const std::string log = (std::filesystem::temp_directory_path() /
                           fmt::format("gale-balances-bench-query-{}.log", ::getpid()))
                              .string();
  gale::testing::ChildProcess query(
      {o.query_bin, "--config", "/dev/null", "-c", "query.templates=" + o.templates, "-c",
       "query.port=" + std::to_string(port), "-c", "postgres.port=" + std::to_string(pg.port()),
       "-c", "postgres.password=" + pg.password(), "-c", "security.enabled=false"},
      log);
  HttpClient client(port);
  double ms = 0;
  auto ready_by = Clock::now() + 15s;
  while (client.get("/api/v1/health", &ms) != 200) {
    if (Clock::now() > ready_by || !query.running())
      throw std::runtime_error("gale-query did not start; its log: " + log);
    std::this_thread::sleep_for(100ms);
  }
  const std::string institution = w.manifest.institutions.begin()->first;
  const std::string target = "/api/v1/queries/institution_balances?institution=" + institution;
  // At a dashboard's pace (--query-rate a second), not back to back: a client that takes a
  // whole core would measure the CPU it takes from the topology, not the service's latency.
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / o.query_rate));
  // Only requests that began and ended while `counts` held are counted.
  auto measure = [&](const std::function<bool(const Latencies&)>& more,
                     const std::function<bool()>& counts) {
    Latencies l;
    auto next = Clock::now();
    while (more(l)) {
      bool counted = counts();
      int status = client.get(target, &ms);
      if (counted && counts()) {
        if (status == 200)
          l.millis.push_back(ms);
        else
          ++l.errors;
      }
      next += interval;
      std::this_thread::sleep_until(next);
    }
    return l;
  };
  std::atomic<bool> running{true}, writing{false};
  Latencies loaded;
  std::thread querying([&] {
    loaded =
        measure([&](const Latencies&) { return running.load(); }, [&] { return writing.load(); });
  });
  // As many topology runs as rounds, the tables emptied between them (not dropped: gale-query's
  // prepared statements stay valid).
  double loaded_secs = 0;
  std::vector<double> loaded_rates;
  std::string loaded_notes;
  try {
    for (int round = 0; round < o.rounds; ++round) {
      if (round > 0)
        pg.execute(
            "TRUNCATE balances.account_balance, balances.balance_total, balances.branch, "
            "balances.institution, balances.balance_history, balances.dead_letter");
      TopologyRun t = run_topology(o, pg, w, o.rounds + round, &writing);
      loaded_secs += t.secs;
      loaded_rates.push_back(static_cast<double>(t.measured) / t.secs *
                             static_cast<double>(w.account_changes.size()) /
                             static_cast<double>(w.records.size()));
      if (auto bad = check_tables(pg, w.manifest, true); !bad.empty())
        t.note += " TABLES WRONG: " + bad;
      loaded_notes += t.note;
    }
  } catch (...) {
    running = false;
    querying.join();
    throw;
  }
  running = false;
  querying.join();
  const std::size_t idle_count = std::max<std::size_t>(200, loaded.millis.size());
  auto i0 = Clock::now();
  Latencies idle = measure(
      [&](const Latencies& l) {
        return l.millis.size() + static_cast<std::size_t>(l.errors) < idle_count;
      },
      [] { return true; });
  double idle_secs = seconds_since(i0);
  fmt::print("{:<44} {:>8} {:>9} {:>8} {:>8} {:>8} {:>7}\n", "gale-query institution_balances",
             "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors");
  print_latencies("idle (the same tables, nothing writing)", idle, idle_secs);
  print_latencies("while balances.so writes", loaded, loaded_secs);
  fmt::print("(the topology meanwhile, {} runs: {:.0f} account changes/s median{})\n", o.rounds,
             median(loaded_rates), loaded_notes);
  gale::bench::print_load("at end");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "gale-balances-bench: changes/s from Kafka into PostgreSQL balances beside a bare "
      "libpq loop, and gale-query's latency under load"};
  app.add_option("--changes", o.changes, "records in the log")->check(CLI::Range(1000, 10'000'000));
  app.add_option("--accounts", o.accounts, "accounts at the snapshot")
      ->check(CLI::Range(10, 1'000'000));
  app.add_option("--batch", o.batch, "changes per transaction (postgres.batch.size)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--writers", o.writers, "account writers (balances.writer.parallelism)")
      ->check(CLI::Range(1, 16));
  app.add_option("--partitions", o.partitions, "partitions of the topic")->check(CLI::Range(1, 64));
  app.add_option("--rounds", o.rounds, "loop and topology runs, alternating")
      ->check(CLI::Range(1, 20));
  app.add_option("--duplicates", o.duplicates, "share of redelivered records")
      ->check(CLI::Range(0.0, 0.5));
  app.add_option("--seed", o.seed, "the generator's seed");
  app.add_flag("--split", o.split,
               "PostgreSQL on CPU 0 and the rest on the others, as if on a machine of its own");
  app.add_option("--set", o.settings, "more topology config, key=value (repeatable)");
  app.add_option("--query-rate", o.query_rate, "gale-query requests a second")
      ->check(CLI::Range(1.0, 10'000.0));
  CLI11_PARSE(app, argc, argv);
  try {
    run_benchmark(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "gale-balances-bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
