// Checkpoints in local mode: barriers through chained and aligned bolts, incremental parts,
// and exactly-once state across crashes (a LocalCluster stopped mid-stream, a new one
// restoring from the in-memory backend that every runtime of the process shares).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "gale/errors.h"
#include "gale/runtime/local_cluster.h"
#include "gale/state.h"
#include "gale/state/backend.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr std::int64_t kWords = 37;

std::string word_of(std::int64_t i) {
  return "w" + std::to_string(i % kWords);
}

// Task k of n emits i = k, k + n, k + 2n, ... below `limit`, paced to `per_ms` a millisecond,
// each tracked; its position is the next i.
class NumberSpout : public StatefulSpout {
 public:
  NumberSpout(std::int64_t limit, std::int64_t per_ms) : limit_(limit), per_ms_(per_ms) {}
  void open(const Config&, TopologyContext& context, SpoutCollector& collector) override {
    collector_ = &collector;
    step_ = static_cast<std::int64_t>(context.component_tasks(context.this_component()).size());
    next_ = context.this_task_index();
    start_ = std::chrono::steady_clock::now();
  }
  // As an at-least-once spout would: emit it again. (With state the runtime never calls it.)
  void fail(MessageId id) override { replay_.push_back(static_cast<std::int64_t>(id)); }
  void next_tuple() override {
    for (; !replay_.empty(); replay_.pop_back())
      collector_->emit({word_of(replay_.back()), replay_.back()},
                       static_cast<MessageId>(replay_.back()));
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start_)
                       .count();
    for (int n = 0; n < 64 && next_ < limit_ && emitted_ < (elapsed + 1) * per_ms_; ++n) {
      collector_->emit({word_of(next_), next_}, static_cast<MessageId>(next_));
      next_ += step_;
      ++emitted_;
    }
  }
  std::string snapshot_position() override { return std::to_string(next_); }
  void restore_position(const std::vector<std::string>& positions, std::size_t own) override {
    next_ = std::stoll(positions.at(own));
    ++restores;
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"word", "i"}); }

  static inline std::atomic<int> restores{0};

 private:
  std::int64_t limit_;
  std::int64_t per_ms_;
  SpoutCollector* collector_ = nullptr;
  std::int64_t step_ = 1;
  std::int64_t next_ = 0;
  std::int64_t emitted_ = 0;
  std::vector<std::int64_t> replay_;
  std::chrono::steady_clock::time_point start_;
};

class RelayBolt : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector& out) override { out.emit(in.values()); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"word", "i"}); }
};

// Counts per word, and the sum of every i it saw, in checkpointed state.
class CountBolt : public StatefulBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& collector) override {
    collector_ = &collector;
  }
  void init_state(StateContext& state) override {
    counts_ = &state.key_value<std::string, std::int64_t>("counts");
    sum_ = &state.value<std::int64_t>("sum");
  }
  void execute(const Tuple& in) override {
    count(in);
    collector_->ack(in);
  }

 protected:
  void count(const Tuple& in) {
    counts_->mutate(in.get(0).as_string()) += 1;
    sum_->mutate() += in.get(1).as_int();
  }
  OutputCollector& collector() { return *collector_; }

 private:
  OutputCollector* collector_ = nullptr;
  KeyValueState<std::string, std::int64_t>* counts_ = nullptr;
  ValueState<std::int64_t>* sum_ = nullptr;
};

// Counts as CountBolt does, but fails the tuple with i == `fail_at` the first time it sees it,
// without counting it: only a recovery to a checkpoint taken before it counts it at all (a
// checkpoint completed after it, restored, would have lost it).
class FailOnceBolt : public CountBolt {
 public:
  void execute(const Tuple& in) override {
    if (in.get(1).as_int() == fail_at && !failed.exchange(true)) {
      collector().fail(in);
      return;
    }
    CountBolt::execute(in);
  }
  static inline std::int64_t fail_at = 0;
  static inline std::atomic<bool> failed{false};
};

// A counter declaring its state with another value type.
class DoubleCountBolt : public StatefulBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
  void init_state(StateContext& state) override { state.key_value<std::string, double>("counts"); }
  void execute(const Tuple&) override {}
};

// spout (2 tasks) -> relay (chained into the spout, local_or_shuffle) -> count (4 tasks over
// 2 executors, fields grouping: each task aligns two inputs).
template <typename Count = CountBolt>
Topology make_topology(std::int64_t limit, std::int64_t per_ms) {
  TopologyBuilder b;
  b.set_spout(
      "numbers", [=] { return std::make_unique<NumberSpout>(limit, per_ms); }, 2);
  b.set_bolt(
       "relay", [] { return std::make_unique<RelayBolt>(); }, 2)
      .local_or_shuffle_grouping("numbers");
  b.set_bolt(
       "count", [] { return std::make_unique<Count>(); }, 2)
      .set_num_tasks(4)
      .fields_grouping("relay", Fields{"word"});
  return b.build();
}

Config make_config(std::int64_t interval_ms) {
  Config c;
  EXPECT_EQ(c.set(conf::kTopologyStateCheckpointIntervalMs, interval_ms).status,
            ConfigResult::Status::ok);
  EXPECT_EQ(c.set(conf::kTopologyStateFullEvery, 3).status, ConfigResult::Status::ok);
  return c;
}

// What the count bolt's tasks hold in the newest complete checkpoint of `topology`.
struct Counted {
  CheckpointId checkpoint = 0;
  std::map<std::string, std::int64_t> counts;
  std::int64_t sum = 0;
  std::int64_t total = 0;
};
Counted read_counts(const std::string& topology, const std::vector<int>& tasks) {
  auto& backend = *state::memory_backend();
  Counted out;
  auto done = backend.completed(topology);
  if (!done.ok() || done->empty()) return out;
  out.checkpoint = done->back().id;
  for (int task : tasks) {
    auto r = state::restore_task(backend, topology, out.checkpoint, task, "count");
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) continue;
    for (const auto& [k, v] : r->states["counts"].entries) {
      auto n = detail::decode_one<std::int64_t>(v, "count");
      out.counts[detail::decode_one<std::string>(k, "word")] += n;
      out.total += n;
    }
    const auto& sum = r->states["sum"].entries;
    if (!sum.empty()) out.sum += detail::decode_one<std::int64_t>(sum.begin()->second, "sum");
  }
  return out;
}

std::vector<int> count_tasks(const std::string& topology) {
  // Tasks are numbered by component id: count (1-4), numbers (5-6), relay (7-8).
  (void)topology;
  return {1, 2, 3, 4};
}

// Waits until the newest complete checkpoint of `topology` is past `after`; its id.
CheckpointId wait_checkpoint(const std::string& topology, CheckpointId after,
                             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto done = state::memory_backend()->completed(topology);
    if (done.ok() && !done->empty() && done->back().id > after) return done->back().id;
    std::this_thread::sleep_for(5ms);
  }
  return 0;
}

TEST(CheckpointTest, StateIsExactAfterCrashesMidStream) {
  const std::string name = "exact-after-crashes";
  constexpr std::int64_t kLimit = 30000;
  std::map<std::string, std::int64_t> expected;
  std::int64_t expected_sum = 0;
  for (std::int64_t i = 0; i < kLimit; ++i) {
    ++expected[word_of(i)];
    expected_sum += i;
  }
  NumberSpout::restores = 0;
  std::mt19937 rng(7);
  CheckpointId last = 0;
  // Two runs stopped at a random moment mid-stream (after at least one more checkpoint),
  // then one that runs to the end.
  for (int run = 0; run < 3; ++run) {
    runtime::LocalCluster cluster(name, make_topology(kLimit, 10), make_config(40));
    cluster.start();
    if (run < 2) {
      last = wait_checkpoint(name, last, 10s);
      ASSERT_NE(last, 0u) << "no checkpoint completed in run " << run;
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 60));
      Counted mid = read_counts(name, count_tasks(name));
      ASSERT_LT(mid.total, kLimit) << "the stream ended before the crash: pace it slower";
      cluster.stop();  // a crash: no final checkpoint
      continue;
    }
    Counted c;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      c = read_counts(name, count_tasks(name));
      if (c.total >= kLimit) break;
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(c.total, kLimit);
    EXPECT_EQ(c.counts, expected);
    EXPECT_EQ(c.sum, expected_sum);
  }
  EXPECT_EQ(NumberSpout::restores, 4);  // two spout tasks, two restarts
}

TEST(CheckpointTest, PartsAreIncrementalAndOldCheckpointsCollected) {
  const std::string name = "incremental-parts";
  runtime::LocalCluster cluster(name, make_topology(1000, 1000), make_config(20));
  cluster.start();
  // Every word is counted in the first checkpoints; after the stream ends, a delta part
  // holds nothing but a full one every topology.state.full.every (3) parts holds every word.
  CheckpointId id = 0;
  for (int i = 0; i < 8; ++i) id = wait_checkpoint(name, id, 10s);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(read_counts(name, count_tasks(name)).total, 1000);
  auto& backend = *state::memory_backend();
  std::vector<std::size_t> entries;
  for (CheckpointId at = id; entries.size() < 2; --at) {
    auto bytes = backend.read_part(name, at, 1);
    ASSERT_TRUE(bytes.ok() && *bytes) << "part " << at << " of task 1 is gone";
    auto part = state::decode_part(**bytes);
    ASSERT_TRUE(part.ok());
    std::size_t n = 0;
    for (const auto& s : part->states) n += s.entries.size();
    entries.push_back(part->full ? n : 0);
    if (!part->full) {
      EXPECT_EQ(n, 0u) << "a delta after the stream ended wrote entries";
    }
  }
  auto done = backend.completed(name);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->size(), 2u);  // topology.state.checkpoints.retained
  // The coordinator's own account of them, as gale local and gale status show it.
  auto stats = cluster.stats();
  ASSERT_FALSE(stats.checkpoints.empty());
  EXPECT_GE(stats.checkpoints.back().id, id);
  EXPECT_EQ(stats.checkpoints.back().parts, 6);  // 2 spout tasks, 4 count tasks
  EXPECT_GT(stats.checkpoints.back().bytes, 0u);
  EXPECT_THAT(runtime::format_stats(stats), HasSubstr("checkpoints: last #"));
  auto parts = backend.parts(name);
  ASSERT_TRUE(parts.ok());
  // At most two chains of three parts per count task, plus one part per spout task per kept
  // checkpoint, plus one in flight per task.
  EXPECT_LE(parts->size(), 4u * 4 + 2u * 3);
  cluster.stop();
}

TEST(CheckpointTest, StateOfAnotherTypeIsRefusedOnRestore) {
  const std::string name = "incompatible-state";
  {
    runtime::LocalCluster cluster(name, make_topology(100, 100), make_config(20));
    cluster.start();
    ASSERT_NE(wait_checkpoint(name, 0, 10s), 0u);
    cluster.stop();
  }
  runtime::LocalCluster changed(name, make_topology<DoubleCountBolt>(100, 100), make_config(20));
  try {
    changed.start();
    FAIL() << "a checkpoint was restored into state of another type";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("state 'counts' is declared as key_value<string,f64>"));
    EXPECT_THAT(e.what(), HasSubstr("holds it as key_value<string,i64>"));
  }
}

TEST(CheckpointTest, AFailedTupleTakesTheTopologyBackToItsLastCheckpoint) {
  const std::string name = "failure-recovers";
  constexpr std::int64_t kLimit = 20000;
  FailOnceBolt::fail_at = 12345;
  FailOnceBolt::failed = false;
  runtime::LocalCluster cluster(name, make_topology<FailOnceBolt>(kLimit, 20), make_config(40));
  cluster.start();
  Counted c;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    c = read_counts(name, count_tasks(name));
    if (c.total >= kLimit && cluster.recoveries() > 0) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(FailOnceBolt::failed);
  EXPECT_EQ(cluster.recoveries(), 1);
  EXPECT_EQ(c.total, kLimit);  // the failed tuple counted once, after the recovery
  std::int64_t expected_sum = kLimit * (kLimit - 1) / 2;
  EXPECT_EQ(c.sum, expected_sum);
  cluster.stop();
}

TEST(CheckpointTest, WithoutCheckpointsAStatefulBoltKeepsItsStateInMemory) {
  runtime::LocalCluster cluster("no-checkpoints", make_topology(500, 500), make_config(0));
  cluster.start();
  EXPECT_TRUE(cluster.wait_idle(10s));
  std::this_thread::sleep_for(100ms);
  cluster.stop();
  std::int64_t executed = 0;
  for (const auto& comp : cluster.stats().components) {
    EXPECT_NE(comp.kind, "checkpoint");
    if (comp.id == "count") executed = comp.executed;
  }
  EXPECT_EQ(executed, 500);
  EXPECT_TRUE(state::memory_backend()->completed("no-checkpoints")->empty());
}

TEST(CheckpointTest, AStatefulTopologyWithACycleIsRefused) {
  TopologyBuilder b;
  b.set_spout("numbers", [] { return std::make_unique<NumberSpout>(10, 10); });
  b.set_bolt("relay", [] { return std::make_unique<RelayBolt>(); })
      .shuffle_grouping("numbers")
      .shuffle_grouping("relay2");
  b.set_bolt("relay2", [] { return std::make_unique<RelayBolt>(); }).shuffle_grouping("relay");
  b.set_bolt("count", [] { return std::make_unique<CountBolt>(); }).shuffle_grouping("relay");
  try {
    runtime::LocalCluster cluster("cycle", b.build(), make_config(100));
    FAIL() << "a stateful topology with a cycle was accepted";
  } catch (const InvalidTopology& e) {
    EXPECT_THAT(e.what(), HasSubstr("must not loop"));
    EXPECT_THAT(e.what(), HasSubstr("relay -> relay2 -> relay"));
  }
}

TEST(CheckpointTest, AStatefulTopologyWithoutMessageTimeoutsIsRefused) {
  Config conf = make_config(100);
  ASSERT_EQ(conf.set(conf::kTopologyEnableMessageTimeouts, false).status, ConfigResult::Status::ok);
  try {
    runtime::LocalCluster cluster("no-timeouts", make_topology(10, 10), conf);
    FAIL() << "a stateful topology without message timeouts was accepted";
  } catch (const InvalidTopology& e) {
    EXPECT_THAT(e.what(), HasSubstr("need topology.enable.message.timeouts"));
  }
}

TEST(CheckpointTest, ACheckpointIsNotRestoredIntoAnotherComponentsTasks) {
  const std::string name = "components-changed";
  {
    runtime::LocalCluster cluster(name, make_topology(100, 100), make_config(20));
    cluster.start();
    ASSERT_NE(wait_checkpoint(name, 0, 10s), 0u);
    cluster.stop();
  }
  // A new component sorted first shifts every task id by one.
  TopologyBuilder b;
  b.set_spout(
      "numbers", [] { return std::make_unique<NumberSpout>(100, 100); }, 2);
  b.set_bolt("audit", [] { return std::make_unique<RelayBolt>(); }).shuffle_grouping("numbers");
  b.set_bolt(
       "relay", [] { return std::make_unique<RelayBolt>(); }, 2)
      .local_or_shuffle_grouping("numbers");
  b.set_bolt(
       "count", [] { return std::make_unique<CountBolt>(); }, 2)
      .set_num_tasks(4)
      .fields_grouping("relay", Fields{"word"});
  runtime::LocalCluster changed(name, b.build(), make_config(20));
  try {
    changed.start();
    FAIL() << "a checkpoint was restored into tasks of other components";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("the topology's components changed"));
  }
}

TEST(CheckpointTest, ATopologyWithoutStateTakesNoCheckpoints) {
  TopologyBuilder b;
  b.set_spout("numbers", [] { return std::make_unique<NumberSpout>(100, 100); });
  b.set_bolt("relay", [] { return std::make_unique<RelayBolt>(); }).shuffle_grouping("numbers");
  runtime::LocalCluster cluster("stateless", b.build(), make_config(10));
  cluster.start();
  std::this_thread::sleep_for(100ms);
  cluster.stop();
  auto done = state::memory_backend()->completed("stateless");
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->empty());
  for (const auto& c : cluster.stats().components) EXPECT_NE(c.kind, "checkpoint");
}

// A spout that cannot take its position yet (the Kafka spout before its partitions are
// assigned): its first three snapshots throw.
class NotReadySpout : public NumberSpout {
 public:
  using NumberSpout::NumberSpout;
  std::string snapshot_position() override {
    if (refusals_ < 3) {
      ++refusals_;
      throw std::runtime_error("not ready");
    }
    return NumberSpout::snapshot_position();
  }

 private:
  int refusals_ = 0;
};

TEST(CheckpointTest, ASpoutThatCannotTakeItsPositionDeclinesAndTheNextCheckpointCompletes) {
  const std::string name = "declined";
  TopologyBuilder b;
  b.set_spout("numbers", [] { return std::make_unique<NotReadySpout>(1000, 100); });
  b.set_bolt(
       "count", [] { return std::make_unique<CountBolt>(); }, 1)
      .shuffle_grouping("numbers");
  // The timeout (60 s by default) would abandon a checkpoint missing a part long after this
  // test's limit: only the decline ends those the spout could not take part in.
  runtime::LocalCluster cluster(name, b.build(), make_config(20));
  cluster.start();
  const CheckpointId id = wait_checkpoint(name, 0, 10s);
  ASSERT_NE(id, 0u) << "no checkpoint completed";
  const auto stats = cluster.stats();
  EXPECT_EQ(stats.checkpoints_abandoned, 3u);  // 1 to 3, declined
  EXPECT_GE(id, 4u);
  cluster.stop();
}

}  // namespace
}  // namespace gale::testing
