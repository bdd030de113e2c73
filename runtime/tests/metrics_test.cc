// A topology's own metrics (gale/metrics.h) and its executors' busy / idle / backpressured
// time, as Runtime::stats() reports them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const metrics::Series* find(const runtime::ComponentStats& c, const std::string& name,
                            const MetricLabels& labels = {}) {
  for (const auto& s : c.metrics)
    if (s.name == name && s.labels == labels) return &s;
  return nullptr;
}

// Counts every id, by the parity of the id ("rule"), keeps each task's id sum as a gauge (as a
// fields-grouped bolt would keep the balance of its own keys), and a histogram of the ids.
class FiguresBolt : public BasicBolt {
 public:
  void prepare(const Config&, TopologyContext& context) override {
    MetricGroup& m = context.metrics();
    seen_ = &m.counter("transactions");
    even_ = &m.counter("alerts", {{"rule", "even"}, {"severity", "low"}});
    odd_ = &m.counter("alerts", {{"severity", "high"}, {"rule", "odd"}});
    level_ = &m.gauge("balance", {{"institution", "inst-01"}});
    ids_ = &m.histogram("id", {100, 500});
    // The same name and labels again is the same counter.
    if (&m.counter("transactions") != seen_) throw std::logic_error("a second counter");
  }
  void execute(const Tuple& in, BasicCollector&) override {
    std::int64_t id = in.get(0).as_int();
    seen_->add();
    (id % 2 == 0 ? even_ : odd_)->add();
    level_->add(static_cast<double>(id));
    ids_->observe(static_cast<double>(id));
  }
  void declare_outputs(OutputDeclarer&) const override {}

 private:
  Counter *seen_ = nullptr, *even_ = nullptr, *odd_ = nullptr;
  Gauge* level_ = nullptr;
  Histogram* ids_ = nullptr;
};

TEST(MetricsTest, RegisteredFiguresAreSummedOverTasks) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("ids", [probe] { return std::make_unique<CountingSpout>(probe, 1000); });
  b.set_bolt("figures", BasicBoltFactory([] { return std::make_unique<FiguresBolt>(); }), 2)
      .set_num_tasks(4)
      .shuffle_grouping("ids");
  runtime::LocalCluster cluster("metrics", b.build(), test_config());
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 1000; }));
  ASSERT_TRUE(cluster.drain(10s));

  runtime::TopologyStats stats = cluster.stats();
  const runtime::ComponentStats* figures = stats.find("figures");
  ASSERT_NE(figures, nullptr);
  ASSERT_EQ(figures->metrics.size(), 5u) << runtime::format_stats(stats);
  const metrics::Series* seen = find(*figures, "transactions");
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->kind, metrics::Kind::counter);
  EXPECT_EQ(seen->value, 1000);
  // Labels are sorted by name, whatever order they were given in.
  const metrics::Series* even = find(*figures, "alerts", {{"rule", "even"}, {"severity", "low"}});
  const metrics::Series* odd = find(*figures, "alerts", {{"rule", "odd"}, {"severity", "high"}});
  ASSERT_NE(even, nullptr);
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(even->value, 500);
  EXPECT_EQ(odd->value, 500);
  const metrics::Series* level = find(*figures, "balance", {{"institution", "inst-01"}});
  ASSERT_NE(level, nullptr);
  EXPECT_EQ(level->kind, metrics::Kind::gauge);
  EXPECT_EQ(level->value, 999 * 1000 / 2);  // each task's part, summed
  const metrics::Series* ids = find(*figures, "id");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->buckets, (std::vector<std::uint64_t>{101, 400, 499}));
  EXPECT_EQ(ids->sum, 999 * 1000 / 2);
  EXPECT_THAT(runtime::format_stats(stats), HasSubstr("metric figures transactions: 1000\n"));
  EXPECT_TRUE(stats.find("ids")->metrics.empty());
}

// Registers what the test's function does in prepare().
class RegisteringBolt : public BasicBolt {
 public:
  explicit RegisteringBolt(std::function<void(MetricGroup&)> f) : f_(std::move(f)) {}
  void prepare(const Config&, TopologyContext& context) override { f_(context.metrics()); }
  void execute(const Tuple&, BasicCollector&) override {}
  void declare_outputs(OutputDeclarer&) const override {}

 private:
  std::function<void(MetricGroup&)> f_;
};

std::string start_error(std::function<void(MetricGroup&)> f) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("ids", [probe] { return std::make_unique<CountingSpout>(probe, 0); });
  b.set_bolt("bolt", BasicBoltFactory([f] { return std::make_unique<RegisteringBolt>(f); }))
      .shuffle_grouping("ids");
  runtime::LocalCluster cluster("metrics", b.build(), test_config());
  try {
    cluster.start();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(MetricsTest, ABadRegistrationFailsPrepareNamingIt) {
  EXPECT_THAT(start_error([](MetricGroup& m) { m.counter("SMS-sent"); }),
              HasSubstr("metric name 'SMS-sent'"));
  EXPECT_THAT(start_error([](MetricGroup& m) {
                m.counter("sms", {{"worker", "w"}});
              }),
              HasSubstr("'worker' is Gale's own"));
  EXPECT_THAT(start_error([](MetricGroup& m) {
                m.histogram("amount", {10, 5});
              }),
              HasSubstr("histogram bounds must ascend"));
  EXPECT_THAT(start_error([](MetricGroup& m) {
                m.counter("sent");
                m.gauge("sent", {{"channel", "sms"}});
              }),
              HasSubstr("metric 'sent' is already a counter"));
  EXPECT_THAT(start_error([](MetricGroup& m) {
                m.histogram("amount", {1, 2});
                m.histogram("amount", {1, 3});
              }),
              HasSubstr("other bounds"));
  EXPECT_THAT(start_error([](MetricGroup& m) {
                m.gauge("total", {}, GaugeCombine::latest);
                m.gauge("total", {{"currency", "CNY"}});
              }),
              HasSubstr("other GaugeCombine"));
  EXPECT_EQ(start_error([](MetricGroup& m) { m.counter("sms_sent"); }), "");
}

TEST(MetricsTest, SeriesPastTheLimitWorkButAreNotReportedAndOneErrorSaysSo) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("ids", [probe] { return std::make_unique<CountingSpout>(probe, 0); });
  b.set_bolt("bolt", BasicBoltFactory([] {
               return std::make_unique<RegisteringBolt>([](MetricGroup& m) {
                 for (int i = 0; i < 5; ++i)
                   m.counter("per_account", {{"account", std::to_string(i)}}).add(7);
               });
             }))
      .shuffle_grouping("ids");
  Config conf = test_config();
  conf.set(conf::kTopologyMetricsMaxSeries, 3);
  runtime::LocalCluster cluster("metrics", b.build(), conf);
  cluster.start();
  runtime::TopologyStats stats = cluster.stats();
  const runtime::ComponentStats* bolt = stats.find("bolt");
  ASSERT_NE(bolt, nullptr);
  ASSERT_EQ(bolt->metrics.size(), 3u);
  for (const auto& s : bolt->metrics) EXPECT_EQ(s.value, 7);
  EXPECT_EQ(bolt->error_count, 1u);
  ASSERT_EQ(bolt->last_errors.size(), 1u);
  EXPECT_THAT(bolt->last_errors[0], HasSubstr("more than 3 metric series"));
  EXPECT_THAT(bolt->last_errors[0], HasSubstr("per_account{account=\"3\"}"));
}

// Spends ~20 us per tuple, busy.
class SlowBolt : public BasicBolt {
 public:
  void execute(const Tuple&, BasicCollector&) override {
    auto until = std::chrono::steady_clock::now() + 20us;
    while (std::chrono::steady_clock::now() < until) {
    }
  }
  void declare_outputs(OutputDeclarer&) const override {}
};

// Passes each input on.
class RelayBolt : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector& out) override { out.emit(in.values()); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }
};

class FloodSpout : public Spout {
 public:
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override { out_->emit({std::int64_t{1}}); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  SpoutCollector* out_ = nullptr;
};

double share(std::uint64_t part, std::uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

TEST(MetricsTest, TimeIsSplitIntoBusyIdleAndBackpressured) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("flood", [] { return std::make_unique<FloodSpout>(); });
  b.set_bolt("relay", BasicBoltFactory([] { return std::make_unique<RelayBolt>(); }))
      .shuffle_grouping("flood");
  b.set_bolt("slow", BasicBoltFactory([] { return std::make_unique<SlowBolt>(); }))
      .shuffle_grouping("relay");
  b.set_spout("quiet", [probe] { return std::make_unique<CountingSpout>(probe, 0); });
  Config conf = test_config();
  conf.set(conf::kTopologyAckerExecutors, 0);
  conf.set(conf::kTopologyProducerBatchSize, 8);
  conf.set(conf::kTopologyExecutorReceiveBufferSize, 64);
  conf.set(conf::kTopologyChaining, false);  // the relay in its own thread, waiting on "slow"
  runtime::LocalCluster cluster("time", b.build(), conf);
  cluster.start();
  std::this_thread::sleep_for(1s);
  runtime::TopologyStats stats = cluster.stats();
  cluster.stop();
  std::string table = runtime::format_stats(stats);
  const runtime::ComponentStats* flood = stats.find("flood");
  const runtime::ComponentStats* slow = stats.find("slow");
  const runtime::ComponentStats* quiet = stats.find("quiet");
  const runtime::ComponentStats* relay = stats.find("relay");
  ASSERT_TRUE(flood && slow && quiet && relay);
  // No wait is counted twice: the waits never add up to more than the time run.
  for (const auto* c : {flood, slow, quiet, relay})
    EXPECT_LE(c->idle_ns + c->backpressured_ns, c->alive_ns) << c->id << "\n" << table;
  // The relay waits for room in the slow bolt's queue (on a full queue, not a held output).
  EXPECT_GT(share(relay->backpressured_ns, relay->alive_ns), 0.5) << table;
  // The flooding spout is held back most of the time; the spout with nothing to emit waits for
  // input all the time. The bounds leave
  // room for a loaded machine (and TSan), not for the wrong split.
  EXPECT_GT(flood->alive_ns, 500'000'000u) << table;
  EXPECT_GT(share(flood->backpressured_ns, flood->alive_ns), 0.5) << table;
  // The slow bolt emits nothing: it never waits downstream, and it is busy a good part of the
  // time (all of it on an idle machine; under TSan the relay feeding it is slower than it).
  EXPECT_EQ(slow->backpressured_ns, 0u) << table;
  EXPECT_GT(1 - share(slow->idle_ns, slow->alive_ns), 0.2) << table;
  EXPECT_GT(share(quiet->idle_ns, quiet->alive_ns), 0.9) << table;
  EXPECT_EQ(quiet->backpressured_ns, 0u) << table;
}

}  // namespace
}  // namespace gale::testing

namespace gale::testing {
namespace {

// The per-input counts behind the console's per-edge rates: with every tuple sampled, each
// (source component, stream) a bolt executed from is counted exactly; ticks are not inputs.
TEST(MetricsTest, BoltsCountTheTuplesExecutedFromEachInput) {
  auto a = std::make_shared<Probe>();
  auto b = std::make_shared<Probe>();
  auto seen = std::make_shared<Probe>();
  TopologyBuilder builder;
  builder.set_spout("a", [a] { return std::make_unique<CountingSpout>(a, 600); });
  builder.set_spout("b", [b] { return std::make_unique<CountingSpout>(b, 400); });
  builder
      .set_bolt(
          "sink", [seen] { return std::make_unique<RecordingBolt>(seen); }, 2)
      .shuffle_grouping("a")
      .shuffle_grouping("b")
      .add_configuration(conf::kTopologyTickTupleFreqMs, 50);
  Config conf = test_config();
  conf.set(conf::kTopologyStatsSampleRate, 1.0);
  runtime::LocalCluster cluster("inputs", builder.build(), conf);
  cluster.start();
  ASSERT_TRUE(eventually([&] { return a->acked_count() == 600 && b->acked_count() == 400; }));
  ASSERT_TRUE(cluster.drain(10s));

  runtime::TopologyStats stats = cluster.stats();
  const runtime::ComponentStats* sink = stats.find("sink");
  ASSERT_NE(sink, nullptr);
  std::map<std::string, std::uint64_t> by_input;
  for (const auto& input : sink->inputs) by_input[input.from + "/" + input.stream] = input.executed;
  EXPECT_EQ(by_input,
            (std::map<std::string, std::uint64_t>{{"a/default", 600}, {"b/default", 400}}))
      << runtime::format_stats(stats);
  EXPECT_TRUE(stats.find("a")->inputs.empty());  // a spout has none
}

}  // namespace
}  // namespace gale::testing
