// gale-yahoo-bench: the Yahoo Streaming Benchmark's pipeline (yahoo_topology.h) on Gale
// in-process, against librdkafka's mock cluster as the broker and a real redis-server. For
// each rate: events/s processed and the windows' latency (time_updated - window end) from
// the Redis records, with every window's count checked against what was produced. Before the
// runs, in the same process: the broker alone (the producer into it, a bare consumer out of
// it), so that the reader can tell how much of the ceiling is the broker.
//
// librdkafka's mock broker keeps only the newest 5 MiB of each partition (a constant in
// rdkafka_mock.c, not configurable): a consumer further behind than that loses events. So
// the producer never gets further ahead of the topology than what surely fits
// (Services::safe_backlog_per_partition); it waits there. At "max" it thus produces as fast
// as the topology takes the events; at a fixed rate it falls behind its schedule, and far
// behind means "not sustained".
//   gale-yahoo-bench [--duration 30] [--rates 10000,50000,max]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ad_events.h"
#include "gale/kafka/mock_cluster.h"
#include "gale/redis/client.h"
#include "gale/runtime/local_cluster.h"
#include "gale/testing/redis_server.h"
#include "kafka_io.h"
#include "machine.h"
#include "yahoo_topology.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using gale::bench::AdCatalog;
using gale::bench::AdEventGenerator;
using gale::bench::kWindowMs;

struct Options {
  double duration_secs = 30;
  std::vector<std::string> rates = {"10000", "50000", "max"};
  std::int64_t baseline_events = 1'000'000;
  int partitions = 1;
  int parallelism = 1;
  std::string fetch_wait_ms = "10";
  bool write_on_close = false;
  bool chaining = true;
  std::uint64_t seed = 7;
};

// A rate in events per second; nothing for "max" (as fast as the producer can).
std::optional<double> parse_rate(const std::string& text) {
  if (text == "max") return std::nullopt;
  std::size_t used = 0;
  double rate = 0;
  try {
    rate = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || !(rate > 0))
    throw CLI::ValidationError("--rates", "'" + text + "' is neither a positive number nor 'max'");
  return rate;
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// What the benchmark runs against, for the whole process.
struct Services {
  explicit Services(std::uint64_t seed) : catalog(seed) {}
  gale::testing::RedisServer redis;
  gale::kafka::MockCluster kafka{1};
  AdCatalog catalog;

  // Events the broker surely still holds per partition: 60 % of what fits in its 5 MiB.
  std::int64_t safe_backlog_per_partition() const {
    AdEventGenerator sample(catalog, 0);
    std::string json;
    sample.next(wall_clock_ms(), json);
    constexpr std::int64_t kBrokerKeepsBytes = 5 << 20;
    constexpr std::int64_t kRecordOverhead = 80;  // record header and batch share, generously
    return kBrokerKeepsBytes * 6 / 10 / (static_cast<std::int64_t>(json.size()) + kRecordOverhead);
  }

  gale::redis::ConnectionOptions redis_options() const {
    gale::redis::ConnectionOptions o;
    o.port = redis.port();
    o.timeout = 5s;
    return o;
  }
};

std::vector<gale::redis::Reply> run_pipeline(gale::redis::RedisClient& client,
                                             const std::vector<gale::redis::Command>& commands) {
  if (commands.empty()) return {};
  auto replies = client.pipeline(commands);
  if (!replies) throw std::runtime_error("redis: " + replies.error().message);
  for (const auto& reply : replies.value())
    if (reply.is_error()) throw std::runtime_error("redis: " + reply.to_string());
  return std::move(replies.value());
}

// An empty Redis with the campaigns and the ad -> campaign mapping, as the original's setup.
void load_campaigns(gale::redis::RedisClient& client, const AdCatalog& catalog) {
  std::vector<gale::redis::Command> commands{{"FLUSHALL"}};
  for (const auto& campaign : catalog.campaigns)
    commands.push_back({"SADD", "campaigns", campaign});
  for (std::size_t ad = 0; ad < catalog.ads.size(); ++ad)
    commands.push_back({"SET", catalog.ads[ad], catalog.campaigns[catalog.campaign_of(ad)]});
  run_pipeline(client, commands);
}

struct WindowRecord {
  int campaign = 0;
  std::int64_t start_ms = 0;
  std::int64_t seen = 0;
  std::int64_t updated_ms = 0;
};

std::int64_t to_int(const gale::redis::Reply& reply, const std::string& what) {
  if (reply.type != gale::redis::Reply::Type::string)
    throw std::runtime_error("redis: " + what + " is " + reply.to_string());
  return std::stoll(reply.str);
}

// Every campaign window in Redis, found the way the original's get-stats finds them: for each
// campaign, its "windows" list, each start's window key, its seen_count and time_updated.
std::vector<WindowRecord> read_windows(gale::redis::RedisClient& client, const AdCatalog& catalog) {
  std::vector<gale::redis::Command> lists;
  for (const auto& campaign : catalog.campaigns) lists.push_back({"HGET", campaign, "windows"});
  auto list_keys = run_pipeline(client, lists);

  std::vector<gale::redis::Command> ranges;
  std::vector<int> campaign_of_range;
  for (std::size_t c = 0; c < list_keys.size(); ++c) {
    if (list_keys[c].is_nil()) continue;
    ranges.push_back({"LRANGE", list_keys[c].str, "0", "-1"});
    campaign_of_range.push_back(static_cast<int>(c));
  }
  auto starts = run_pipeline(client, ranges);

  std::vector<WindowRecord> records;
  std::vector<gale::redis::Command> keys;
  for (std::size_t r = 0; r < starts.size(); ++r) {
    for (const auto& start : starts[r].elements) {
      int c = campaign_of_range[r];
      records.push_back({c, std::stoll(start.str), 0, 0});
      keys.push_back({"HGET", catalog.campaigns[static_cast<std::size_t>(c)], start.str});
    }
  }
  auto window_keys = run_pipeline(client, keys);

  std::vector<gale::redis::Command> fields;
  for (const auto& key : window_keys)
    fields.push_back({"HMGET", key.str, "seen_count", "time_updated"});
  auto values = run_pipeline(client, fields);
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].seen = to_int(values[i].elements.at(0), "seen_count");
    records[i].updated_ms = to_int(values[i].elements.at(1), "time_updated");
  }
  return records;
}

// ---- producing ---------------------------------------------------------------------------------

struct Production {
  std::int64_t events = 0;
  double seconds = 0;
  std::int64_t end_ms = 0;       // event time just after the last event
  std::int64_t max_lag_ms = 0;   // how far behind its schedule the producer fell (paced runs)
  std::int64_t max_backlog = 0;  // the most events produced and not yet acked by the topology
  gale::bench::ExpectedCounts expected;
  std::int64_t views = 0;
};

// How far the consumer side is: events it has taken for good.
using Progress = std::function<std::int64_t()>;

// Produces `topic`'s events for `seconds` or until `limit` events: paced at `rate` (each event
// carries its scheduled time, as the original's generator does), or as fast as it can (each
// carries the time it was made). The producer never gets more than `max_backlog` events ahead
// of `progress`: it waits there, and a paced producer falls behind its schedule (lag).
class AdEventProduction {
 public:
  AdEventProduction(const Services& s, const std::string& topic, int partitions, std::uint64_t seed,
                    Progress progress, std::int64_t max_backlog)
      : producer_(s.kafka.bootstrap_servers(), topic, partitions),
        generator_(s.catalog, seed),
        progress_(std::move(progress)),
        max_backlog_(max_backlog) {}

  Production run(std::optional<double> rate, double seconds, std::int64_t limit) {
    t0_ = Clock::now();
    start_ms_ = wall_clock_ms();
    if (rate) {
      paced(*rate, std::min(limit, static_cast<std::int64_t>(std::llround(*rate * seconds))));
    } else {
      full_speed(seconds, limit);
    }
    producer_.flush(120s);
    p_.seconds = seconds_since(t0_);  // until every event is delivered
    if (producer_.failed() > 0)
      throw std::runtime_error(fmt::format("{} events not delivered", producer_.failed()));
    p_.expected = generator_.expected();
    p_.views = generator_.views();
    return std::move(p_);
  }

 private:
  void send(std::int64_t event_time_ms) {
    generator_.next(event_time_ms, json_);
    producer_.send(json_);
    ++p_.events;
    p_.end_ms = event_time_ms + 1;
  }

  // How many more events may go before the backlog reaches its limit.
  std::int64_t room() {
    std::int64_t backlog = p_.events - progress_();
    p_.max_backlog = std::max(p_.max_backlog, backlog);
    return max_backlog_ - backlog;
  }

  void paced(double rate, std::int64_t total) {
    while (p_.events < total) {
      auto due = std::min(total, static_cast<std::int64_t>(seconds_since(t0_) * rate) + 1);
      std::int64_t batch = std::min(due - p_.events, room());
      if (batch <= 0) {
        wait();
        continue;
      }
      std::int64_t now_ms = wall_clock_ms();
      for (std::int64_t i = 0; i < batch; ++i) {
        auto t =
            start_ms_ + static_cast<std::int64_t>(static_cast<double>(p_.events) * 1000.0 / rate);
        p_.max_lag_ms = std::max(p_.max_lag_ms, now_ms - t);
        send(t);
      }
      producer_.poll();
    }
  }

  void full_speed(double seconds, std::int64_t limit) {
    while (p_.events < limit && seconds_since(t0_) < seconds) {
      std::int64_t batch = std::min({std::int64_t{256}, limit - p_.events, room()});
      if (batch <= 0) {
        wait();
        continue;
      }
      std::int64_t now_ms = wall_clock_ms();
      for (std::int64_t i = 0; i < batch; ++i) send(now_ms);
      producer_.poll();
    }
  }

  void wait() {
    producer_.poll();
    std::this_thread::sleep_for(200us);
  }

  gale::bench::AdProducer producer_;
  AdEventGenerator generator_;
  Progress progress_;
  std::int64_t max_backlog_;
  Production p_;
  std::string json_;
  Clock::time_point t0_;
  std::int64_t start_ms_ = 0;
};

// ---- the baseline: the broker alone ------------------------------------------------------------

struct Baseline {
  double produce_rate = 0;  // events/s into the mock cluster, until every one is delivered
  double consume_rate = 0;  // events/s read back by a bare consumer
};

Baseline measure_broker(Services& s, const Options& o) {
  // No consumer keeps pace here: the backlog is every event, and unbounded.
  const auto no_consumer = [] { return std::int64_t{0}; };
  const auto unbounded = std::numeric_limits<std::int64_t>::max();
  Baseline b;
  // The producer alone, as the runs produce (same partitions); the broker drops the oldest
  // events as it goes, which costs it nothing.
  s.kafka.create_topic("baseline-produce", o.partitions);
  Production alone =
      AdEventProduction(s, "baseline-produce", o.partitions, o.seed, no_consumer, unbounded)
          .run(std::nullopt, 1e9, o.baseline_events);
  b.produce_rate = static_cast<double>(alone.events) / alone.seconds;
  // The consumer reads a topic filled beforehand, with enough partitions that the broker keeps
  // every event of it.
  auto per_partition = s.safe_backlog_per_partition();
  auto partitions = static_cast<int>((o.baseline_events + per_partition - 1) / per_partition);
  s.kafka.create_topic("baseline-consume", partitions);
  AdEventProduction(s, "baseline-consume", partitions, o.seed, no_consumer, unbounded)
      .run(std::nullopt, 1e9, o.baseline_events);
  double read_secs = gale::bench::read_all(s.kafka.bootstrap_servers(), "baseline-consume",
                                           partitions, o.baseline_events, 120s);
  b.consume_rate = static_cast<double>(o.baseline_events) / read_secs;
  return b;
}

// ---- one run ------------------------------------------------------------------------------------

// A paced producer that ends this much later than its schedule was held back by the topology
// for good; one held back as much for a while but caught up met a hiccup of the machine.
constexpr std::int64_t kNotSustainedLagMs = 1000;

struct RunResult {
  std::string rate;
  Production production;
  double processed_rate = 0;
  std::vector<double> latencies_ms;  // windows that closed while events were produced
  // The worst latency among the campaigns of each such window, by window start: the windows
  // of one period close at the same instant, so these are the independent samples.
  std::map<std::int64_t, std::int64_t> worst_by_window;
  std::size_t windows_exact = 0;  // expected windows whose Redis count matches
  std::size_t windows_expected = 0;
  std::size_t windows_unexpected = 0;  // in Redis but never produced
  double complete_ms = 0;              // the spout's mean complete latency (sampled)
  std::string note;
};

template <typename Pred>
bool wait_for(Pred pred, std::chrono::seconds limit, std::chrono::milliseconds every) {
  auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

std::int64_t total_seen(const std::vector<WindowRecord>& records) {
  std::int64_t n = 0;
  for (const auto& r : records) n += r.seen;
  return n;
}

void check_windows(const std::vector<WindowRecord>& records, RunResult& r) {
  const auto& expected = r.production.expected;
  r.windows_expected = expected.size();
  for (const auto& w : records) {
    auto it = expected.find({w.campaign, w.start_ms});
    if (it == expected.end()) {
      ++r.windows_unexpected;
      continue;
    }
    if (it->second == w.seen) ++r.windows_exact;
    if (w.start_ms + kWindowMs <= r.production.end_ms) {
      std::int64_t latency = w.updated_ms - (w.start_ms + kWindowMs);
      r.latencies_ms.push_back(static_cast<double>(latency));
      auto [worst, added] = r.worst_by_window.emplace(w.start_ms, latency);
      if (!added) worst->second = std::max(worst->second, latency);
    }
  }
}

std::string component_errors(const gale::runtime::TopologyStats& stats) {
  std::string out;
  for (const auto& c : stats.components) {
    if (c.error_count == 0) continue;
    out += fmt::format(" {}: {} errors (last: {})", c.id, c.error_count,
                       c.last_errors.empty() ? "" : c.last_errors.back());
  }
  return out;
}

gale::bench::YahooTopologyOptions topology_options(const Services& s, const Options& o,
                                                   const std::string& topic) {
  gale::bench::YahooTopologyOptions t;
  t.spout.bootstrap_servers = s.kafka.bootstrap_servers();
  t.spout.topics = {topic};
  t.spout.group_id = topic + "-group";
  t.spout.start = gale::kafka::StartStrategy::earliest;
  t.spout.consumer_properties = {{"fetch.wait.max.ms", o.fetch_wait_ms}};
  t.redis = s.redis_options();
  t.parallelism = o.parallelism;
  t.write_on_close = o.write_on_close;
  t.spout_stats = std::make_shared<gale::kafka::KafkaSpoutStats>();
  return t;
}

// Whether a paced producer kept its schedule.
std::string pacing_note(const Production& p, double duration_secs) {
  auto late_ms = std::llround((p.seconds - duration_secs) * 1000);
  if (late_ms > kNotSustainedLagMs)
    return fmt::format(" NOT SUSTAINED: the producer, held back, ended {} ms late;", late_ms);
  if (p.max_lag_ms > kNotSustainedLagMs)
    return fmt::format(" held back {} ms once, caught up;", p.max_lag_ms);
  return {};
}

RunResult run(Services& s, const Options& o, const std::string& rate_text, int index) {
  RunResult r;
  r.rate = rate_text;
  const std::optional<double> rate = parse_rate(rate_text);
  gale::redis::RedisClient redis(s.redis_options());
  load_campaigns(redis, s.catalog);
  const std::string topic = fmt::format("ad-events-{}", index);
  s.kafka.create_topic(topic, o.partitions);

  auto t = topology_options(s, o, topic);
  gale::Config conf;
  conf.set(gale::conf::kTopologyChaining, o.chaining);
  gale::runtime::LocalCluster cluster("yahoo", gale::bench::yahoo_topology(t), conf);
  cluster.start();
  // The mock cluster answers a group's first join after about 3 s: produce once it has.
  auto assigned = [&] { return t.spout_stats->assigned().size() == std::size_t(o.partitions); };
  if (!wait_for(assigned, 30s, 10ms))
    throw std::runtime_error("the spout got no partitions of " + topic + " within 30 s");

  auto t0 = Clock::now();
  auto acked = [stats = t.spout_stats] { return stats->acked.load(); };
  r.production = AdEventProduction(s, topic, o.partitions, o.seed + std::uint64_t(index), acked,
                                   s.safe_backlog_per_partition() * o.partitions)
                     .run(rate, o.duration_secs, std::numeric_limits<std::int64_t>::max());
  if (rate) r.note += pacing_note(r.production, o.duration_secs);
  const std::int64_t events = r.production.events;
  if (!wait_for([&] { return acked() >= events; }, 300s, 1ms))
    r.note += fmt::format(" only {} of {} events acked after 300 s;", acked(), events);
  r.processed_rate = static_cast<double>(acked()) / seconds_since(t0);

  // The last counts reach Redis on campaign-windows' next tick (once a second).
  std::vector<WindowRecord> records;
  auto all_written = [&] {
    records = read_windows(redis, s.catalog);
    return total_seen(records) >= r.production.views;
  };
  if (!wait_for(all_written, 10s, 100ms))
    r.note += fmt::format(" Redis holds {} of {} views;", total_seen(records), r.production.views);
  cluster.drain(30s);
  cluster.stop();
  auto stats = cluster.stats();
  r.complete_ms = stats.find("ad-events")->complete_latency_ms;
  r.note += component_errors(stats);
  if (auto failed = t.spout_stats->failed.load(); failed > 0)
    r.note += fmt::format(" {} failed;", failed);
  check_windows(records, r);
  return r;
}

// ---- the report ---------------------------------------------------------------------------------

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void print_results(const Baseline& b, const std::vector<RunResult>& results) {
  fmt::print("\nbaseline, the broker alone (same process, before the runs):\n");
  fmt::print("  producer into the mock cluster, as fast as it can:   {:>9.0f} events/s\n",
             b.produce_rate);
  fmt::print("  bare consumer reading them back (no group, no JSON): {:>9.0f} events/s\n\n",
             b.consume_rate);
  fmt::print("{:>6} {:>8} {:>10} {:>11} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7}  {}\n", "rate",
             "events", "produced/s", "processed/s", "prod lag", "backlog", "compl ms", "windows",
             "p50 ms", "p99 ms", "max ms", "counts");
  for (const auto& r : results) {
    const auto& p = r.production;
    std::string counts = fmt::format("{}/{} exact", r.windows_exact, r.windows_expected);
    if (r.windows_unexpected > 0) counts += fmt::format(", {} unexpected", r.windows_unexpected);
    fmt::print(
        "{:>6} {:>8} {:>10.0f} {:>11.0f} {:>6}ms {:>8} {:>8.1f} {:>7} {:>7.0f} {:>7.0f} {:>7.0f}  "
        "{}{}\n",
        r.rate, p.events, static_cast<double>(p.events) / p.seconds, r.processed_rate, p.max_lag_ms,
        p.max_backlog, r.complete_ms, r.latencies_ms.size(), percentile(r.latencies_ms, 0.5),
        percentile(r.latencies_ms, 0.99), percentile(r.latencies_ms, 1.0), counts, r.note);
  }
  fmt::print("worst latency of each closed window, in ms, in the order they closed:\n");
  for (const auto& r : results) {
    std::vector<std::int64_t> worst;
    for (const auto& [start, latency] : r.worst_by_window) worst.push_back(latency);
    fmt::print("{:>8}: {}\n", r.rate, fmt::join(worst, " "));
  }
  fmt::print(
      "(prod lag: the producer's worst delay behind its schedule; backlog: the most events "
      "produced and not yet acked;\n compl ms: the spout's mean complete latency, Kafka "
      "message to the end of the pipeline (sampled);\n latency: time_updated - window end, over "
      "the windows "
      "that closed while events were produced;\n counts: each campaign window's "
      "seen_count against the views produced)\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "The Yahoo Streaming Benchmark on Gale, in-process, with the broker alone as baseline"};
  app.add_option("--duration", o.duration_secs, "Seconds of producing per rate")
      ->check(CLI::PositiveNumber);
  app.add_option("--rates", o.rates,
                 "Events per second for each run, or 'max' (as fast as possible)")
      ->delimiter(',');
  app.add_option("--baseline-events", o.baseline_events, "Events for the broker-alone baseline")
      ->check(CLI::PositiveNumber);
  app.add_option("--partitions", o.partitions, "Partitions of the ad-events topic")
      ->check(CLI::Range(1, 64));
  app.add_option("--parallelism", o.parallelism,
                 "Executors of each of deserialize, filter, projection and join")
      ->check(CLI::Range(1, 16));
  app.add_option("--fetch-wait-ms", o.fetch_wait_ms,
                 "The spout consumer's fetch.wait.max.ms (see bench/README.md)");
  app.add_flag("--write-on-close", o.write_on_close,
               "Write a window's count also as soon as event time passes its end (the original "
               "writes only once a second)");
  app.add_option("--seed", o.seed, "Seed of the campaign ids and the events");
  app.add_option("--chaining", o.chaining,
                 "topology.chaining: run deserialize, filter, projection and join in the "
                 "spout's thread (true) or each in threads of its own (false)");
  CLI11_PARSE(app, argc, argv);
  try {
    for (const auto& rate : o.rates) parse_rate(rate);
  } catch (const CLI::ValidationError& e) {
    return app.exit(e);
  }

  gale::bench::print_machine("gale-yahoo-bench");
  fmt::print(
      "{} campaigns x {} ads, {} s per rate, rates {}, {} partition(s), parallelism {}, "
      "chaining {}, windows written {}\n",
      AdCatalog::kCampaigns, AdCatalog::kAdsPerCampaign, o.duration_secs, fmt::join(o.rates, ","),
      o.partitions, o.parallelism, o.chaining ? "on" : "off",
      o.write_on_close ? "once a second and when they close" : "once a second (as the original)");
  std::fflush(stdout);
  try {
    Services services(o.seed);
    Baseline baseline = measure_broker(services, o);
    std::vector<RunResult> results;
    for (std::size_t i = 0; i < o.rates.size(); ++i) {
      fmt::print(stderr, "running at {} events/s for {} s ...\n", o.rates[i], o.duration_secs);
      results.push_back(run(services, o, o.rates[i], static_cast<int>(i)));
    }
    print_results(baseline, results);
  } catch (const std::exception& e) {
    fmt::print(stderr, "gale-yahoo-bench: {}\n", e.what());
    return 1;
  }
  gale::bench::print_load("at end");
  return 0;
}
