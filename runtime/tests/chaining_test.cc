// Operator chaining: a bolt whose only input keeps each tuple in the task that made it runs in
// that task's executor thread, as direct calls; acking, statistics and ticks are unchanged.
#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

#include "gale/errors.h"
#include "gale/runtime/layout.h"
#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using runtime::LocalCluster;

// Which thread ran each (component, task index), and which task index fed each bolt task.
struct Threads {
  std::mutex mu;
  std::map<std::pair<std::string, int>, std::set<std::thread::id>> seen;
  std::map<std::pair<std::string, int>, std::set<int>> fed_by;  // bolt task index -> sources

  void record(const TopologyContext& ctx) {
    std::lock_guard lock(mu);
    seen[{ctx.this_component(), ctx.this_task_index()}].insert(std::this_thread::get_id());
  }
  std::set<int> fed(const std::string& component, int index) {
    std::lock_guard lock(mu);
    return fed_by[{component, index}];
  }
  std::thread::id only(const std::string& component, int index) {
    std::lock_guard lock(mu);
    const auto& ids = seen[{component, index}];
    return ids.size() == 1 ? *ids.begin() : std::thread::id{};
  }
};

// CountingSpout that records its thread.
class ThreadSpout : public CountingSpout {
 public:
  ThreadSpout(std::shared_ptr<Probe> probe, std::shared_ptr<Threads> threads, std::int64_t n)
      : CountingSpout(std::move(probe), n), threads_(std::move(threads)) {}
  void open(const Config& conf, TopologyContext& ctx, SpoutCollector& out) override {
    ctx_ = &ctx;
    CountingSpout::open(conf, ctx, out);
  }
  void next_tuple() override {
    threads_->record(*ctx_);
    CountingSpout::next_tuple();
  }

 private:
  std::shared_ptr<Threads> threads_;
  TopologyContext* ctx_ = nullptr;
};

// Passes its input on (anchored) with its own task index added, records its thread and which
// task index of its input's component sent each tuple, then acks.
class PassBolt : public Bolt {
 public:
  explicit PassBolt(std::shared_ptr<Threads> threads) : threads_(std::move(threads)) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& out) override {
    ctx_ = &ctx;
    out_ = &out;
  }
  void execute(const Tuple& t) override {
    if (t.is_tick()) {
      std::lock_guard lock(threads_->mu);
      ++ticks[ctx_->this_component()];
      return;
    }
    threads_->record(*ctx_);
    const auto& sources = ctx_->component_tasks(t.source_component());
    int from = static_cast<int>(std::find(sources.begin(), sources.end(), t.source_task()) -
                                sources.begin());
    {
      std::lock_guard lock(threads_->mu);
      threads_->fed_by[{ctx_->this_component(), ctx_->this_task_index()}].insert(from);
    }
    out_->emit(t, {t.get(0)});
    out_->ack(t);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }
  inline static std::map<std::string, int> ticks;  // guarded by Threads::mu

 private:
  std::shared_ptr<Threads> threads_;
  TopologyContext* ctx_ = nullptr;
  OutputCollector* out_ = nullptr;
};

struct Fixture : ::testing::Test {
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  std::shared_ptr<Threads> threads = std::make_shared<Threads>();
  static constexpr int kIds = 2000;

  // spout (2) -local_or_shuffle-> parse (2) -one_to_one-> rules (2) -shuffle-> sink (1)
  Topology pipeline() {
    TopologyBuilder b;
    b.set_spout(
        "spout", [p = probe, t = threads] { return std::make_unique<ThreadSpout>(p, t, kIds); }, 2);
    b.set_bolt("parse", bolt_of<PassBolt>(threads), 2).local_or_shuffle_grouping("spout");
    b.set_bolt("rules", bolt_of<PassBolt>(threads), 2).one_to_one_grouping("parse");
    b.set_bolt("sink", bolt_of<PassBolt>(threads)).shuffle_grouping("rules");
    return b.build();
  }
  // Runs until `trees` trees have completed.
  void run(const Topology& topology, const Config& conf, int trees = 2 * kIds) {
    LocalCluster cluster("chaining", topology, conf);
    cluster.start();
    ASSERT_TRUE(eventually([&] { return probe->acked_count() == trees; }));
    ASSERT_TRUE(cluster.drain(10s));
    cluster.stop();
    stats = cluster.stats();
  }
  runtime::TopologyStats stats;
};

TEST_F(Fixture, ChainedBoltsRunInTheirInputsThreadAndEveryTreeCompletesOnce) {
  run(pipeline(), test_config());
  for (int k = 0; k < 2; ++k) {
    auto spout = threads->only("spout", k);
    ASSERT_NE(spout, std::thread::id{}) << "spout task " << k << " ran on several threads";
    EXPECT_EQ(threads->only("parse", k), spout) << "parse task " << k << " is not chained";
    EXPECT_EQ(threads->only("rules", k), spout) << "rules task " << k << " is not chained";
    EXPECT_NE(threads->only("sink", 0), spout) << "the shuffle-fed sink was chained";
    // The chain keeps each tuple in its task: task k of each stage fed only by task k.
    EXPECT_EQ(threads->fed("parse", k), std::set<int>{k});
    EXPECT_EQ(threads->fed("rules", k), std::set<int>{k});
  }
  EXPECT_EQ(probe->failed_count(), 0);
  probe->with([&] {  // each spout task emits ids 0 .. kIds-1: every id acked once per task
    for (auto& [id, n] : probe->acked) EXPECT_EQ(n, 2) << "id " << id;
  });
  // Each component keeps its own row, as if it ran in executors of its own.
  for (const char* c : {"parse", "rules", "sink"}) {
    ASSERT_NE(stats.find(c), nullptr) << c;
    EXPECT_EQ(stats.find(c)->executed, 2u * kIds) << c;
    EXPECT_EQ(stats.find(c)->acked, 2u * kIds) << c;
  }
  EXPECT_EQ(stats.find("parse")->executors, 2);
  EXPECT_EQ(stats.find("rules")->tasks, 2);
  EXPECT_EQ(stats.find("spout")->acked, 2u * kIds);
  // The acks of parse and rules were folded into the init: per tree the acker heard the init
  // and the sink's ack (unchained, four messages).
  EXPECT_EQ(stats.find("__acker")->executed, 2u * 2 * kIds);
}

// A tree whose every edge ends inside the chain completes in the spout's thread: the acker
// hears nothing of it, and the spout is told after next_tuple returns.
TEST_F(Fixture, ATreeThatEndsInsideTheChainNeverReachesTheAcker) {
  TopologyBuilder b;
  b.set_spout("spout",
              [p = probe, t = threads] { return std::make_unique<ThreadSpout>(p, t, kIds); });
  b.set_bolt("parse", bolt_of<PassBolt>(threads)).local_or_shuffle_grouping("spout");
  b.set_bolt("rules", bolt_of<PassBolt>(threads)).one_to_one_grouping("parse");
  Config conf = test_config();
  conf.set(conf::kTopologyStatsSampleRate, 1.0);
  run(b.build(), conf, kIds);
  EXPECT_EQ(probe->failed_count(), 0);
  probe->with([&] {
    for (auto& [id, n] : probe->acked) EXPECT_EQ(n, 1) << "id " << id;
  });
  EXPECT_EQ(stats.find("__acker")->executed, 0u);
  EXPECT_EQ(stats.find("spout")->acked, static_cast<std::uint64_t>(kIds));
  EXPECT_EQ(stats.find("rules")->acked, static_cast<std::uint64_t>(kIds));
  EXPECT_GT(stats.find("spout")->complete_latency_ms, 0.0);  // timed from before the chain ran
}

// A bolt with bolts chained into it folds their acks and its own into one message per tree.
TEST_F(Fixture, ABoltFoldsTheAcksOfTheBoltsChainedIntoIt) {
  TopologyBuilder b;
  b.set_spout("spout",
              [p = probe, t = threads] { return std::make_unique<ThreadSpout>(p, t, kIds); });
  b.set_bolt("parse", bolt_of<PassBolt>(threads), 2).shuffle_grouping("spout");
  b.set_bolt("rules", bolt_of<PassBolt>(threads), 2).one_to_one_grouping("parse");
  run(b.build(), test_config(), kIds);
  for (int k = 0; k < 2; ++k) EXPECT_EQ(threads->only("rules", k), threads->only("parse", k));
  EXPECT_EQ(probe->failed_count(), 0);
  // Per tree the spout's init and parse's ack, into which rules' ack was folded (unchained,
  // three).
  EXPECT_EQ(stats.find("__acker")->executed, 2u * kIds);
}

// A chained bolt that holds its inputs and acks them later, many at once: acks outside a fold
// (on a tick) and a fold of more trees than it keeps (acking ten held inputs while executing
// an eleventh) still complete every tree exactly once.
TEST_F(Fixture, HeldInputsAckedLaterOrManyAtOnceCompleteEveryTree) {
  struct HoldingBolt : Bolt {
    std::vector<Tuple> held;
    OutputCollector* out = nullptr;
    void prepare(const Config&, TopologyContext&, OutputCollector& o) override { out = &o; }
    void execute(const Tuple& t) override {
      if (t.is_tick() || held.size() == 10) {
        for (const Tuple& h : held) out->ack(h);
        held.clear();
      }
      if (!t.is_tick()) held.push_back(t);
    }
  };
  auto clock = std::make_shared<ManualClock>();
  TopologyBuilder b;
  b.set_spout("spout",
              [p = probe, t = threads] { return std::make_unique<ThreadSpout>(p, t, 1005); });
  b.set_bolt("holding", [] { return std::make_unique<HoldingBolt>(); })
      .local_or_shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  LocalCluster cluster("held", b.build(), test_config(), clock);
  cluster.start();
  // Ten held inputs are acked as the eleventh arrives: 1000 by the 1001st, five left for a tick.
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 1000; }));
  clock->advance(2s);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 1005; }));
  EXPECT_EQ(probe->failed_count(), 0);
  probe->with([&] {
    for (auto& [id, n] : probe->acked) EXPECT_EQ(n, 1) << "id " << id;
  });
  ASSERT_TRUE(cluster.drain(10s));
  cluster.stop();
  EXPECT_EQ(cluster.stats().find("holding")->acked, 1005u);
}

TEST_F(Fixture, WithChainingOffEveryComponentHasThreadsOfItsOwn) {
  Config conf = test_config();
  conf.set(conf::kTopologyChaining, false);
  run(pipeline(), conf);
  for (int k = 0; k < 2; ++k) {
    EXPECT_NE(threads->only("parse", k), threads->only("spout", k));
    EXPECT_NE(threads->only("rules", k), threads->only("parse", k));
    // one_to_one still pairs task k with task k across the queue.
    EXPECT_EQ(threads->fed("rules", k), std::set<int>{k});
  }
  EXPECT_EQ(stats.find("rules")->executed, 2u * kIds);
}

TEST_F(Fixture, ABoltCanOptOutOfChainingOnItsOwn) {
  TopologyBuilder b;
  b.set_spout("spout",
              [p = probe, t = threads] { return std::make_unique<ThreadSpout>(p, t, kIds); });
  b.set_bolt("parse", bolt_of<PassBolt>(threads))
      .local_or_shuffle_grouping("spout")
      .add_configuration(conf::kTopologyChaining, false);
  b.set_bolt("rules", bolt_of<PassBolt>(threads)).local_or_shuffle_grouping("parse");
  run(b.build(), test_config(), kIds);
  EXPECT_NE(threads->only("parse", 0), threads->only("spout", 0));
  EXPECT_EQ(threads->only("rules", 0), threads->only("parse", 0));
}

TEST_F(Fixture, DifferentParallelismIsNotChained) {
  TopologyBuilder b;
  b.set_spout("spout",
              [p = probe, t = threads] { return std::make_unique<ThreadSpout>(p, t, kIds); });
  b.set_bolt("parse", bolt_of<PassBolt>(threads), 2).local_or_shuffle_grouping("spout");
  run(b.build(), test_config(), kIds);
  EXPECT_NE(threads->only("parse", 0), threads->only("spout", 0));
  EXPECT_NE(threads->only("parse", 1), threads->only("spout", 0));
}

TEST_F(Fixture, AChainedBoltGetsItsTickTuples) {
  auto clock = std::make_shared<ManualClock>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 0));
  b.set_bolt("ticked", bolt_of<PassBolt>(threads))
      .local_or_shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 2);
  LocalCluster cluster("chained-ticks", b.build(), test_config(), clock);
  cluster.start();
  auto ticks = [&] {
    std::lock_guard lock(threads->mu);
    return PassBolt::ticks["ticked"];
  };
  int before = ticks();
  clock->advance(5s);  // ticks at 2 and 4
  ASSERT_TRUE(eventually([&] { return ticks() == before + 2; }));
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(ticks(), before + 2);
}

// A chained bolt that throws fails its input, as across a queue: the spout replays it.
TEST_F(Fixture, AChainedBoltThatThrowsFailsItsInputAndTheReplayCompletes) {
  struct ThrowFirstBolt : Bolt {
    std::set<std::int64_t> seen;
    OutputCollector* out = nullptr;
    void prepare(const Config&, TopologyContext&, OutputCollector& o) override { out = &o; }
    void execute(const Tuple& t) override {
      if (seen.insert(t.get(0).as_int()).second) throw std::runtime_error("first sight");
      out->ack(t);
    }
  };
  TopologyBuilder b;
  b.set_spout("spout",
              [p = probe, t = threads] { return std::make_unique<ThreadSpout>(p, t, 500); });
  b.set_bolt("flaky", [] {
     return std::make_unique<ThrowFirstBolt>();
   }).local_or_shuffle_grouping("spout");
  run(b.build(), test_config(), 500);
  EXPECT_EQ(probe->failed_count(), 500);
  EXPECT_EQ(stats.find("flaky")->failed, 500u);
  EXPECT_EQ(stats.find("flaky")->error_count, 500u);
  probe->with([&] {
    for (auto& [id, n] : probe->acked) EXPECT_EQ(n, 1) << "id " << id;
  });
}

TEST(ChainingTopology, OneToOneBetweenDifferentTaskCountsIsRefusedNamingBoth) {
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(std::make_shared<Probe>(), 0), 2);
  b.set_bolt("rules", bolt_of<RecordingBolt>(std::make_shared<Probe>()), 3)
      .one_to_one_grouping("spout");
  try {
    b.build();
    FAIL() << "built";
  } catch (const InvalidTopology& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("one_to_one"), std::string::npos) << what;
    EXPECT_NE(what.find("3 tasks"), std::string::npos) << what;
    EXPECT_NE(what.find("'spout' has 2"), std::string::npos) << what;
  }
}

// topology.worker.cpus pins each executor thread to a CPU of the list in turn.
TEST(ExecutorThreads, PinnedToTheListedCpus) {
  struct CpuBolt : Bolt {
    std::shared_ptr<std::atomic<int>> cpu;
    explicit CpuBolt(std::shared_ptr<std::atomic<int>> c) : cpu(std::move(c)) {}
    void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
    void execute(const Tuple&) override { cpu->store(sched_getcpu()); }
  };
  const int last = static_cast<int>(std::thread::hardware_concurrency()) - 1;
  auto probe = std::make_shared<Probe>();
  auto cpu = std::make_shared<std::atomic<int>>(-1);
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 2000));
  b.set_bolt("bolt", [cpu] { return std::make_unique<CpuBolt>(cpu); }).shuffle_grouping("spout");
  Config conf = test_config();
  conf.set(conf::kTopologyAckerExecutors, 0);
  // Executor threads in order: bolt, spout. The bolt gets the list's first CPU: the last one.
  conf.set(conf::kTopologyWorkerCpus, std::to_string(last) + ",0");
  LocalCluster cluster("pinned", b.build(), conf);
  cluster.start();
  // Without ackers the spout's tuples count as acked once emitted: wait for the bolt itself.
  ASSERT_TRUE(eventually([&] { return cpu->load() >= 0; }));
  EXPECT_EQ(cpu->load(), last);
}

TEST(ExecutorThreads, ACpuListThatDoesNotParseIsRefusedNamingTheKey) {
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(std::make_shared<Probe>(), 0));
  for (const char* bad : {"0-", "a", "3-1", "0,,1", "2000"}) {
    Config conf;
    conf.set(conf::kTopologyWorkerCpus, bad);
    try {
      runtime::Layout layout("cpus", b.build(), conf);
      ADD_FAILURE() << bad << " accepted";
    } catch (const InvalidTopology& e) {
      EXPECT_NE(std::string(e.what()).find("topology.worker.cpus"), std::string::npos) << e.what();
    }
  }
  Config good;
  good.set(conf::kTopologyWorkerCpus, "0-2,5");
  EXPECT_EQ(runtime::Layout("cpus", b.build(), good).worker_cpus(), (std::vector<int>{0, 1, 2, 5}));
}

}  // namespace
}  // namespace gale::testing
