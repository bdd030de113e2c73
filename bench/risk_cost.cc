// gale-risk-bench: risk-alert's COST. The packaged topology (risk_alert.so, loaded in-process
// as `gale local` does) against a plain single-threaded loop over the same transactions, both
// measured in the same run.
//   gale-risk-bench [--transactions N] [--topology risk_alert.so]
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "gale/events/generator.h"
#include "gale/risk/engine.h"
#include "gale/runtime/local_cluster.h"
#include "gale/runtime/topology_loader.h"
#include "gale/state/backend.h"
#include "machine.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  std::int64_t transactions = 200'000;
  std::string topology = GALE_RISK_ALERT_SO;
  std::uint64_t seed = 42;
  double suspicious = 0.02;
  int accounts = 1000;
  int rounds = 3;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time (user and system) of every thread of this process so far: the work a run did,
// whatever else the machine was doing meanwhile.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

// Wall time and CPU time from construction on.
struct Stopwatch {
  Clock::time_point wall = Clock::now();
  double cpu = cpu_seconds();
  double wall_seconds() const { return seconds_since(wall); }
  double cpu_seconds_used() const { return cpu_seconds() - cpu; }
};

// The generator's transactions as JSON lines: what risk-alert reads with risk.source=file.
std::vector<std::string> generate_lines(const Options& o, std::int64_t* planted) {
  gale::events::GeneratorOptions g;
  g.seed = o.seed;
  g.suspicious = o.suspicious;
  g.accounts = o.accounts;
  gale::events::TransactionGenerator generator(g);
  std::vector<std::string> lines;
  lines.reserve(static_cast<std::size_t>(o.transactions));
  for (std::int64_t i = 0; i < o.transactions; ++i)
    lines.push_back(gale::events::to_json(generator.next().transaction));
  *planted = generator.stats().planted;
  return lines;
}

// The lines in a file that removes itself: the topology's spout reads it at open().
class TransactionFile {
 public:
  explicit TransactionFile(const std::vector<std::string>& lines)
      : path_(std::filesystem::temp_directory_path() /
              fmt::format("gale-risk-bench-{}.jsonl", ::getpid())) {
    std::ofstream out(path_);
    for (const auto& line : lines) out << line << '\n';
    if (!out) throw std::runtime_error("cannot write " + path_.string());
  }
  ~TransactionFile() { std::filesystem::remove(path_); }
  TransactionFile(const TransactionFile&) = delete;
  TransactionFile& operator=(const TransactionFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct Result {
  double rate = 0;    // transactions per second
  double cpu_us = 0;  // CPU microseconds per transaction, all threads
  std::int64_t alerts = 0;
  std::string note;  // anything that makes the figure suspect
};

Result measured(std::int64_t transactions, const Stopwatch& watch) {
  auto n = static_cast<double>(transactions);
  return {n / watch.wall_seconds(), watch.cpu_seconds_used() * 1e6 / n, 0, {}};
}

// The baseline: what the topology does per transaction, in one thread with nothing between
// the steps: parse the JSON, evaluate the default rules, render each alert as JSON.
Result run_loop(const std::vector<std::string>& lines) {
  auto rules = gale::risk::load_rules(gale::risk::default_rules_yaml());
  if (!rules) throw std::runtime_error("default rules: " + rules.error().message);
  gale::risk::RiskEngine engine(rules.value());
  std::vector<gale::risk::Alert> alerts;
  std::int64_t alert_count = 0, malformed = 0;
  std::size_t json_bytes = 0;
  Stopwatch watch;
  for (const auto& line : lines) {
    auto parsed = gale::events::parse_transaction(line);
    if (!parsed) {
      ++malformed;
      continue;
    }
    alerts.clear();
    engine.evaluate(parsed.value(), alerts);
    for (const auto& alert : alerts) json_bytes += gale::risk::alert_to_json(alert).size();
    alert_count += static_cast<std::int64_t>(alerts.size());
  }
  Result r = measured(static_cast<std::int64_t>(lines.size()), watch);
  r.alerts = alert_count;
  if (malformed > 0) r.note = fmt::format("{} malformed lines", malformed);
  // Using the rendered size keeps the compiler from dropping the rendering.
  if (json_bytes == 0 && alert_count > 0) r.note = "alerts rendered empty";
  return r;
}

// Parsing alone, for the split of the loop's time between the parse and the rules bolt.
double parse_rate(const std::vector<std::string>& lines) {
  std::size_t ok = 0;
  auto t0 = Clock::now();
  for (const auto& line : lines) ok += gale::events::parse_transaction(line) ? 1 : 0;
  double rate = static_cast<double>(lines.size()) / seconds_since(t0);
  if (ok != lines.size()) throw std::runtime_error("generated transactions that do not parse");
  return rate;
}

struct Variant {
  int parse = 1;
  int rules = 1;
  bool acking = true;
  bool chained = false;  // risk.chain: rules one_to_one from parse, run in its thread
  // risk.state: checkpoint (the default: windows checkpointed every second) or memory
  bool checkpointed = true;
  std::string name() const {
    return fmt::format("topology, parse {} / rules {}{}, acking {}{}", parse, rules,
                       chained ? " chained" : "", acking ? "on" : "off",
                       checkpointed ? "" : ", no state");
  }
};

gale::Config topology_config(const std::string& file, const Variant& v) {
  gale::Config conf;
  conf.set("risk.source", "file");
  conf.set("risk.source.file", file);
  conf.set("risk.print", false);
  conf.set("risk.parse.parallelism", v.parse);
  conf.set("risk.rules.parallelism", v.rules);
  if (!v.acking) conf.set(gale::conf::kTopologyAckerExecutors, 0);
  conf.set("risk.chain", v.chained);
  if (!v.checkpointed) conf.set("risk.state", "memory");
  conf.set(gale::conf::kTopologyChaining, v.chained);
  return conf;
}

// How many transactions have gone all the way: with acking, the spout's acked trees; without,
// the rules bolt's executed tuples (which include its tick tuples, one a second per task: a
// few tuples early out of hundreds of thousands).
std::uint64_t finished(const gale::runtime::TopologyStats& stats, bool acking) {
  const auto* c = stats.find(acking ? "transactions" : "rules");
  return c == nullptr ? 0 : (acking ? c->acked : c->executed);
}

// The alert count is the rules bolt's emits: it emits on the "alerts" stream only, one tuple
// per alert. A replayed transaction would emit its alerts again, so failures are reported.
Result run_topology(const Options& o, const std::string& file, const Variant& v) {
  gale::Config conf = topology_config(file, v);
  auto loaded = gale::runtime::load_topology(o.topology, conf);
  if (!loaded) throw std::runtime_error(loaded.error().message);
  auto& topo = loaded.value();
  gale::runtime::LocalCluster cluster("risk-bench", std::move(topo.topology), conf);
  const auto n = static_cast<std::uint64_t>(o.transactions);
  cluster.start();  // opens the spout (it reads the file) and prepares the bolts, then activates
  Stopwatch watch;
  auto deadline = Clock::now() + 300s;
  while (finished(cluster.stats(), v.acking) < n && Clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  Result r = measured(o.transactions, watch);
  bool drained = cluster.drain(60s);
  cluster.stop();
  // The rules' checkpoints go with the run: the next starts from nothing, not from them.
  (void)gale::state::memory_backend()->drop("risk-bench");
  auto stats = cluster.stats();
  r.alerts = static_cast<std::int64_t>(stats.find("rules")->emitted);
  if (finished(stats, v.acking) < n) r.note = "did not finish within 300 s";
  if (auto failed = stats.find("transactions")->failed; failed > 0)
    r.note += fmt::format(" {} trees failed (replayed)", failed);
  if (!drained) r.note += " not drained";
  return r;
}

// One row of the table: a configuration measured once per round.
struct Row {
  std::string name;
  std::vector<Result> rounds;
  std::vector<double> ratios;  // to the loop of the same round
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void print_row(const Row& row, std::int64_t loop_alerts) {
  std::vector<double> rates, cpu;
  std::int64_t lo = row.rounds.front().alerts, hi = lo;
  std::string notes;
  for (const auto& r : row.rounds) {
    rates.push_back(r.rate);
    cpu.push_back(r.cpu_us);
    lo = std::min(lo, r.alerts);
    hi = std::max(hi, r.alerts);
    if (!r.note.empty()) notes += " " + r.note;
  }
  std::string alerts = lo == hi ? std::to_string(lo) : fmt::format("{}..{}", lo, hi);
  std::string check = lo == loop_alerts && hi == loop_alerts ? "= loop" : "MISMATCH";
  fmt::print("{:<50} {:>8.0f} {:>8.0f} {:>8.0f} {:>7.2f} {:>7.2f} {:>10} {:<8}{}\n", row.name,
             median(rates), *std::min_element(rates.begin(), rates.end()),
             *std::max_element(rates.begin(), rates.end()), median(row.ratios), median(cpu), alerts,
             check, notes);
}

void print_table(const Row& loop, const std::vector<Row>& rows, double parsing) {
  const std::int64_t loop_alerts = loop.rounds.front().alerts;
  fmt::print("{:<50} {:>8} {:>8} {:>8} {:>7} {:>7} {:>10} {:<8}\n", "", "tx/s", "min", "max",
             "vs loop", "cpu us", "alerts", "check");
  print_row(loop, loop_alerts);
  for (const auto& row : rows) print_row(row, loop_alerts);
  fmt::print(
      "(tx/s: median of the rounds, min and max beside it; vs loop (the COST figure): the "
      "median of each round's ratio to\n that round's loop; cpu us: CPU time of all threads per "
      "transaction (median);\n alerts: the rules bolt's emits on \"alerts\", checked "
      "against the loop's)\n");
  std::vector<double> loop_rates;
  for (const auto& r : loop.rounds) loop_rates.push_back(r.rate);
  fmt::print("parse_transaction alone: {:.0f} tx/s, {:.0f} % of the loop's time per transaction\n",
             parsing, 100 * median(loop_rates) / parsing);
}

void run_benchmark(const Options& o) {
  gale::bench::print_machine("gale-risk-bench");
  std::int64_t planted = 0;
  std::vector<std::string> lines = generate_lines(o, &planted);
  TransactionFile file(lines);
  fmt::print(
      "{} transactions (seed {}, {:.0f}% suspicious, {} accounts), {} alerts planted by the "
      "generator; default rules; {} rounds\n\n",
      o.transactions, o.seed, o.suspicious * 100, o.accounts, planted, o.rounds);
  std::fflush(stdout);

  const Variant variants[] = {{1, 1, true, false},        {1, 1, true, true},  {1, 2, true, false},
                              {1, 2, true, false, false}, {2, 2, true, false}, {2, 2, true, true},
                              {1, 1, false, false},       {1, 1, false, true}, {1, 2, false, false},
                              {2, 2, false, false},       {2, 2, false, true}};
  Row loop{"single-threaded loop", {}, {}};
  std::vector<Row> rows;
  for (const auto& v : variants) rows.push_back({v.name(), {}, {}});
  // Every round measures the loop and then each configuration, so that load from elsewhere
  // on the machine, which comes and goes, falls on all of them alike.
  for (int round = 1; round <= o.rounds; ++round) {
    fmt::print(stderr, "round {} of {}: loop ...\n", round, o.rounds);
    loop.rounds.push_back(run_loop(lines));
    loop.ratios.push_back(1.0);
    for (std::size_t i = 0; i < std::size(variants); ++i) {
      fmt::print(stderr, "round {} of {}: {} ...\n", round, o.rounds, variants[i].name());
      rows[i].rounds.push_back(run_topology(o, file.path(), variants[i]));
      rows[i].ratios.push_back(rows[i].rounds.back().rate / loop.rounds.back().rate);
    }
  }
  print_table(loop, rows, parse_rate(lines));
  gale::bench::print_load("after");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"risk-alert's COST: the topology against a single-threaded loop, same run"};
  app.add_option("-n,--transactions", o.transactions, "Transactions to generate")
      ->check(CLI::PositiveNumber);
  app.add_option("--rounds", o.rounds, "Rounds of every measurement, interleaved")
      ->check(CLI::Range(1, 20));
  app.add_option("--topology", o.topology, "The packaged risk-alert topology (.so)")
      ->check(CLI::ExistingFile);
  app.add_option("--seed", o.seed, "Generator seed");
  CLI11_PARSE(app, argc, argv);

  try {
    run_benchmark(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "gale-risk-bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
