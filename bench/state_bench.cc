// gale-state-bench: what exactly-once state costs (docs/STATE.md). In one process, a keyed
// count (a stateful spout whose position is its sequence number -> a stateful bolt counting per
// key, fields grouping) runs with checkpoints every --interval-ms against the same topology
// with checkpoints off, in alternating rounds of the same run:
//   1. throughput: --tuples tracked tuples as fast as the topology takes them, until all acked;
//   2. latency: the same tuples paced at --rate a second, complete latency (emit to ack)
//      percentiles;
// then
//   3. recovery: the time a new runtime takes to start from a checkpoint holding 10 k and 1 M
//      keys, beside a start from nothing;
//   4. bytes per checkpoint with 1 % of the keys changed, beside a full snapshot of them all.
// The in-memory backend by default; --redis-port puts the checkpoints in that Redis server.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "gale/common/logging.h"
#include "gale/runtime/local_cluster.h"
#include "gale/state.h"
#include "gale/state/backend.h"
#include "machine.h"
#include "pipeline.h"

namespace {

using namespace gale;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::int64_t tuples = 2'000'000;
  std::int64_t keys = 100'000;
  double rate = 100'000;
  std::int64_t latency_tuples = 500'000;
  int rounds = 5;
  std::int64_t interval_ms = 1000;
  int redis_port = 0;
};

// Emits keys i % keys for i in [0, limit), tracked, paced at `rate` a second (0: as fast as it
// can); records complete latencies (µs) after a warm-up; its position is the next i.
class KeySpout : public StatefulSpout {
 public:
  KeySpout(std::int64_t limit, std::int64_t keys, double rate,
           std::shared_ptr<bench::Latencies> latencies,
           std::shared_ptr<std::atomic<std::int64_t>> acked)
      : limit_(limit),
        keys_(keys),
        interval_ns_(rate > 0 ? static_cast<std::int64_t>(1e9 / rate) : 0),
        latencies_(std::move(latencies)),
        acked_(std::move(acked)) {}
  void open(const Config&, TopologyContext& context, SpoutCollector& out) override {
    out_ = &out;
    step_ = static_cast<std::int64_t>(context.component_tasks(context.this_component()).size());
    next_ = first_ = context.this_task_index();
    if (latencies_) emitted_at_.resize(static_cast<std::size_t>(limit_ / step_ + 1));
  }
  void next_tuple() override {
    auto now = SteadyClock::now();
    if (next_ == first_) start_ = now;
    for (int n = 0; n < 64 && next_ < limit_; ++n) {
      std::int64_t seq = (next_ - first_) / step_;
      if (interval_ns_ > 0 && now < start_ + std::chrono::nanoseconds(seq * interval_ns_ * step_))
        return;
      if (latencies_) emitted_at_[static_cast<std::size_t>(seq)] = now;
      out_->emit({next_ % keys_}, static_cast<MessageId>(next_));
      next_ += step_;
    }
  }
  void ack(MessageId id) override {
    auto i = static_cast<std::int64_t>(id);
    std::int64_t seq = (i - first_) / step_;
    if (latencies_ && seq > limit_ / step_ / 10)  // past the first tenth: the warm-up
      latencies_->push_back(std::chrono::duration<double, std::micro>(
                                SteadyClock::now() - emitted_at_[static_cast<std::size_t>(seq)])
                                .count());
    acked_->fetch_add(1, std::memory_order_relaxed);
  }
  std::string snapshot_position() override { return std::to_string(next_); }
  void restore_position(const std::vector<std::string>& positions, std::size_t own) override {
    next_ = std::stoll(positions.at(own));
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"key"}); }

 private:
  std::int64_t limit_, keys_, interval_ns_;
  std::shared_ptr<bench::Latencies> latencies_;
  std::shared_ptr<std::atomic<std::int64_t>> acked_;
  SpoutCollector* out_ = nullptr;
  std::int64_t step_ = 1, first_ = 0, next_ = 0;
  SteadyClock::time_point start_;
  std::vector<SteadyClock::time_point> emitted_at_;
};

class CountBolt : public StatefulBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void init_state(StateContext& state) override {
    counts_ = &state.key_value<std::int64_t, std::int64_t>("counts");
  }
  void execute(const Tuple& in) override {
    counts_->mutate(in[0].as_int()) += 1;
    out_->ack(in);
  }

 private:
  OutputCollector* out_ = nullptr;
  KeyValueState<std::int64_t, std::int64_t>* counts_ = nullptr;
};

Topology keyed_count(std::int64_t limit, std::int64_t keys, double rate,
                     std::shared_ptr<bench::Latencies> latencies,
                     std::shared_ptr<std::atomic<std::int64_t>> acked) {
  TopologyBuilder b;
  b.set_spout("keys",
              [=] { return std::make_unique<KeySpout>(limit, keys, rate, latencies, acked); });
  b.set_bolt("count", [] {
     return std::make_unique<CountBolt>();
   }).fields_grouping("keys", Fields{"key"});
  return b.build();
}

Config config_for(const Options& o, std::int64_t interval_ms, std::int64_t full_every = 10) {
  Config c;
  c.set(conf::kTopologyStateCheckpointIntervalMs, interval_ms);
  c.set(conf::kTopologyStateFullEvery, full_every);
  if (o.redis_port > 0) {
    c.set(conf::kTopologyStateBackend, "redis");
    c.set("redis.port", o.redis_port);
  }
  return c;
}

int run_id = 0;
std::string fresh_name(const char* what) {
  return std::string("state-bench-") + what + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(++run_id);
}

// Seconds until every tuple is acked, and the latencies when paced.
double run_count(const Options& o, std::int64_t interval_ms, std::int64_t tuples, double rate,
                 std::shared_ptr<bench::Latencies> latencies) {
  auto acked = std::make_shared<std::atomic<std::int64_t>>(0);
  runtime::LocalCluster cluster(fresh_name("run"),
                                keyed_count(tuples, o.keys, rate, latencies, acked),
                                config_for(o, interval_ms));
  auto start = SteadyClock::now();
  cluster.start();
  while (acked->load() < tuples) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
  cluster.stop();
  return secs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double pct(bench::Latencies& l, double p) {
  std::sort(l.begin(), l.end());
  return l.empty() ? 0 : l[std::min(l.size() - 1, static_cast<std::size_t>(p * l.size()))] / 1000;
}

// Waits for a checkpoint of `name` past `after`; its record.
state::CheckpointRecord wait_checkpoint(state::StateBackend& backend, const std::string& name,
                                        CheckpointId after) {
  for (;;) {
    auto done = backend.completed(name);
    if (done.ok() && !done->empty() && done->back().id > after) return done->back();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"gale-state-bench: the cost of checkpoints, recovery and incremental snapshots"};
  app.add_option("--tuples", o.tuples, "tuples per throughput round");
  app.add_option("--latency-tuples", o.latency_tuples, "tuples per latency round");
  app.add_option("--rate", o.rate, "tuples a second in the latency rounds");
  app.add_option("--keys", o.keys, "distinct keys in rounds 1 and 2");
  app.add_option("--rounds", o.rounds, "rounds of each mode")->check(CLI::Range(1, 100));
  app.add_option("--interval-ms", o.interval_ms, "checkpoint interval")
      ->check(CLI::Range(10, 60000));
  app.add_option("--redis-port", o.redis_port, "checkpoints in the Redis server on 127.0.0.1:PORT");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress as it comes
  spdlog::set_level(spdlog::level::warn);
  bench::print_machine("gale-state-bench");
  fmt::print("backend: {}\n",
             o.redis_port > 0 ? "redis :" + std::to_string(o.redis_port) : "memory");

  // 1 and 2: alternating rounds, checkpoints off then on.
  std::vector<double> off_rate, on_rate, off_p99, on_p99, off_p50, on_p50;
  for (int r = 0; r < o.rounds; ++r) {
    for (bool on : {false, true}) {
      double secs = run_count(o, on ? o.interval_ms : 0, o.tuples, 0, nullptr);
      auto l = std::make_shared<bench::Latencies>();
      run_count(o, on ? o.interval_ms : 0, o.latency_tuples, o.rate, l);
      double rate = static_cast<double>(o.tuples) / secs;
      (on ? on_rate : off_rate).push_back(rate);
      (on ? on_p50 : off_p50).push_back(pct(*l, 0.5));
      (on ? on_p99 : off_p99).push_back(pct(*l, 0.99));
      fmt::print(
          "round {} checkpoints {:>3}: {:>10.0f} tuples/s, paced at {:.0f}/s p50 {:.3f} ms "
          "p99 {:.3f} ms\n",
          r + 1, on ? "on" : "off", rate, o.rate, pct(*l, 0.5), pct(*l, 0.99));
    }
  }
  fmt::print(
      "median: checkpoints every {} ms {:.0f} tuples/s = {:.1f} % of off ({:.0f}); "
      "p99 {:.3f} ms vs {:.3f} ms ({:+.3f} ms)\n",
      o.interval_ms, median(on_rate), 100 * median(on_rate) / median(off_rate), median(off_rate),
      median(on_p99), median(off_p99), median(on_p99) - median(off_p99));

  // 3 and 4: a state of `keys` keys in a checkpoint, then a start from it.
  auto backend_result = state::make_backend(config_for(o, o.interval_ms), false);
  if (!backend_result.ok()) {
    fmt::print(stderr, "{}\n", backend_result.error().message);
    return 1;
  }
  auto& backend = **backend_result;
  for (std::int64_t keys : {std::int64_t{10'000}, std::int64_t{1'000'000}}) {
    const std::string name = fresh_name("recovery");
    auto acked = std::make_shared<std::atomic<std::int64_t>>(0);
    {
      runtime::LocalCluster cluster(name, keyed_count(keys, keys, 0, nullptr, acked),
                                    config_for(o, 100));
      cluster.start();
      while (acked->load() < keys) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      auto before = backend.completed(name);
      wait_checkpoint(backend, name, before.ok() && !before->empty() ? before->back().id : 0);
      cluster.stop();
    }
    std::vector<double> restore_ms, fresh_ms;
    for (int r = 0; r < 3; ++r) {
      for (bool restore : {true, false}) {
        auto none = std::make_shared<std::atomic<std::int64_t>>(0);
        runtime::LocalCluster cluster(restore ? name : fresh_name("fresh"),
                                      keyed_count(keys, keys, 0, nullptr, none),
                                      config_for(o, 60000));
        auto start = SteadyClock::now();
        cluster.start();  // returns once every task has restored (init_state ran)
        (restore ? restore_ms : fresh_ms)
            .push_back(
                std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
        cluster.deactivate();
        cluster.stop();
      }
    }
    fmt::print(
        "recovery from {} keys: start {:.1f} ms (median of 3), beside {:.1f} ms with no "
        "state\n",
        keys, median(restore_ms), median(fresh_ms));
  }

  // 4: 1 % of 100 k keys changed between two checkpoints. Run A counts every key (deltas
  // only); run B restores and counts 1 % of them again: its next checkpoint's bytes; run C
  // restores with topology.state.full.every=1: its next part holds every key, for comparison.
  {
    const std::string name = fresh_name("bytes");
    const std::int64_t keys = 100'000;
    // `tuples`: where the spout stops; `fresh`: how many it emits in this run.
    auto run = [&](std::int64_t tuples, std::int64_t fresh, std::int64_t full_every) {
      auto acked = std::make_shared<std::atomic<std::int64_t>>(0);
      runtime::LocalCluster cluster(name, keyed_count(tuples, keys, 0, nullptr, acked),
                                    config_for(o, 500, full_every));
      auto before = backend.completed(name);
      CheckpointId last = before.ok() && !before->empty() ? before->back().id : 0;
      cluster.start();
      while (acked->load() < fresh) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      // Its first checkpoint, half a second in: long after its last tuple.
      auto record = wait_checkpoint(backend, name, last);
      cluster.stop();
      return record;
    };
    run(keys, keys, 1000);
    auto delta = run(keys + keys / 100, keys / 100, 1000);
    auto full = run(keys + keys / 100, 0, 1);
    fmt::print(
        "bytes per checkpoint with 1 % of {} keys changed: {} (a full part of them all: "
        "{}; {:.1f} %)\n",
        keys, delta.bytes, full.bytes,
        100.0 * static_cast<double>(delta.bytes) / static_cast<double>(full.bytes));
  }
  bench::print_load("at the end");
  return 0;
}
