// Windowed bolts in local mode: count windows (tumbling, sliding), event-time windows with a
// watermark and a late-tuple stream, and windows whose contents survive crashes mid-stream
// (checkpoints in the in-memory backend that every runtime of the process shares).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "gale/runtime/local_cluster.h"
#include "gale/state/backend.h"
#include "gale/windowing.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

// Task 0 of 1 emits i = 0 .. limit-1 as (i, ts = the i-th of `times`, or i * 100), paced to
// `per_ms` a millisecond, each tracked; its position is the next i.
class EventSpout : public StatefulSpout {
 public:
  EventSpout(std::int64_t limit, std::int64_t per_ms, std::vector<std::int64_t> times = {})
      : limit_(limit), per_ms_(per_ms), times_(std::move(times)) {}
  void open(const Config&, TopologyContext&, SpoutCollector& out) override {
    out_ = &out;
    start_ = std::chrono::steady_clock::now();
  }
  void next_tuple() override {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start_)
                       .count();
    for (int n = 0; n < 32 && next_ < limit_ && emitted_ < (elapsed + 1) * per_ms_; ++n) {
      const std::int64_t ts =
          next_ < static_cast<std::int64_t>(times_.size()) ? times_[next_] : next_ * 100;
      out_->emit({next_, ts}, static_cast<MessageId>(next_));
      ++next_;
      ++emitted_;
    }
  }
  std::string snapshot_position() override { return std::to_string(next_); }
  void restore_position(const std::vector<std::string>& positions, std::size_t own) override {
    next_ = std::stoll(positions.at(own));
    ++restores;
    restored_below_limit += next_ < limit_;
  }
  static inline std::atomic<int> restores{0};
  static inline std::atomic<int> restored_below_limit{0};
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"i", "ts"}); }

 private:
  std::int64_t limit_, per_ms_;
  std::vector<std::int64_t> times_;
  SpoutCollector* out_ = nullptr;
  std::int64_t next_ = 0, emitted_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// What the windows closed with: start -> the i's in it, in window order; and late i's.
struct Seen {
  std::mutex mutex;
  std::vector<std::vector<std::int64_t>> windows;
  std::map<std::int64_t, std::vector<std::int64_t>> by_start;
  std::vector<std::int64_t> late;
  int conflicts = 0;  // a window closed twice with other contents
};
Seen seen;

class ListWindow : public WindowedBolt {
 public:
  explicit ListWindow(WindowSpec spec) : spec_(std::move(spec)) {}
  WindowSpec window_spec() const override { return spec_; }
  void execute_window(const TupleWindow& window, WindowCollector& out) override {
    std::vector<std::int64_t> is;
    for (const auto& t : window.tuples) is.push_back(t.values.at(0).as_int());
    std::string text;
    for (auto i : is) text += std::to_string(i) + ",";
    out.emit({window.start_ms, text});
    std::lock_guard lock(seen.mutex);
    seen.windows.push_back(is);
    auto [it, fresh] = seen.by_start.try_emplace(window.start_ms, is);
    if (!fresh && it->second != is) ++seen.conflicts;
  }
  void declare_outputs(OutputDeclarer& d) const override {
    d.declare({"start", "tuples"});
    if (!spec_.late_stream.empty()) d.declare_stream(spec_.late_stream, {"i", "ts"});
  }

 private:
  WindowSpec spec_;
};

class LateSink : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector&) override {
    std::lock_guard lock(seen.mutex);
    seen.late.push_back(in.get(0).as_int());
  }
};

Topology window_topology(WindowSpec spec, std::int64_t limit, std::int64_t per_ms,
                         std::vector<std::int64_t> times = {}) {
  TopologyBuilder b;
  b.set_spout("events", [=] { return std::make_unique<EventSpout>(limit, per_ms, times); });
  b.set_bolt("window", [spec] {
     return std::make_unique<ListWindow>(spec);
   }).global_grouping("events");
  if (!spec.late_stream.empty())
    b.set_bolt("late", [] {
       return std::make_unique<LateSink>();
     }).global_grouping("window", spec.late_stream);
  return b.build();
}

Config config(std::int64_t interval_ms) {
  Config c;
  EXPECT_EQ(c.set(conf::kTopologyStateCheckpointIntervalMs, interval_ms).status,
            ConfigResult::Status::ok);
  return c;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(seen.mutex);
      if (pred()) return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  std::lock_guard lock(seen.mutex);
  return pred();
}

void reset() {
  std::lock_guard lock(seen.mutex);
  seen.windows.clear();
  seen.by_start.clear();
  seen.late.clear();
  seen.conflicts = 0;
}

using Windows = std::vector<std::vector<std::int64_t>>;

TEST(WindowTest, TumblingAndSlidingCountWindows) {
  reset();
  {
    runtime::LocalCluster cluster(
        "count-tumbling", window_topology(WindowSpec::tumbling(WindowLength::count(3)), 10, 100),
        config(1000));
    cluster.start();
    ASSERT_TRUE(eventually([] { return seen.windows.size() >= 3; }));
    cluster.stop();
  }
  EXPECT_EQ(seen.windows, (Windows{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}}));
  reset();
  {
    runtime::LocalCluster cluster(
        "count-sliding",
        window_topology(WindowSpec::sliding(WindowLength::count(4), WindowLength::count(2)), 10,
                        100),
        config(1000));
    cluster.start();
    ASSERT_TRUE(eventually([] { return seen.windows.size() >= 5; }));
    cluster.stop();
  }
  EXPECT_EQ(seen.windows,
            (Windows{{0, 1}, {0, 1, 2, 3}, {2, 3, 4, 5}, {4, 5, 6, 7}, {6, 7, 8, 9}}));
}

TEST(WindowTest, EventTimeWindowsCloseOnTheWatermarkAndLateTuplesGoToTheirStream) {
  reset();
  // i:  0    1    2     3    4     5     6
  // ts: 100  900  1200  500  1500  2100  3000   (i = 3 comes after [0, 1000) closed)
  auto spec = WindowSpec::tumbling(WindowLength::seconds(1));
  spec.event_time("ts").late_tuple_stream("late");
  runtime::LocalCluster cluster(
      "event-time", window_topology(spec, 7, 100, {100, 900, 1200, 500, 1500, 2100, 3000}),
      config(1000));
  cluster.start();
  ASSERT_TRUE(eventually([] { return seen.windows.size() >= 3 && seen.late.size() >= 1; }));
  cluster.stop();
  EXPECT_EQ(seen.windows, (Windows{{0, 1}, {2, 4}, {5}}));
  EXPECT_EQ(seen.by_start.count(0), 1u);
  EXPECT_EQ(seen.by_start.count(1000), 1u);
  EXPECT_EQ(seen.by_start.count(2000), 1u);
  EXPECT_EQ(seen.late, (std::vector<std::int64_t>{3}));
}

TEST(WindowTest, ASlidingEventTimeWindowWithALag) {
  reset();
  // Windows of 1 s every 500 ms; the watermark is 300 ms behind the latest event time, so
  // i = 3 (ts 800, after ts 1000) is not late.
  auto spec = WindowSpec::sliding(WindowLength::seconds(1), WindowLength::millis(500));
  spec.event_time("ts", 300);
  runtime::LocalCluster cluster("event-time-lag",
                                window_topology(spec, 6, 100, {100, 600, 1000, 800, 1400, 2400}),
                                config(1000));
  cluster.start();
  ASSERT_TRUE(eventually([] { return seen.by_start.count(1000) == 1; }));
  cluster.stop();
  std::lock_guard lock(seen.mutex);
  EXPECT_EQ(seen.by_start.at(-500), (std::vector<std::int64_t>{0}));
  EXPECT_EQ(seen.by_start.at(0), (std::vector<std::int64_t>{0, 1, 3}));
  EXPECT_EQ(seen.by_start.at(500), (std::vector<std::int64_t>{1, 3, 2, 4}));
  EXPECT_EQ(seen.by_start.at(1000), (std::vector<std::int64_t>{2, 4}));
}

TEST(WindowTest, OpenWindowsSurviveCrashesMidStream) {
  reset();
  const std::string name = "windows-after-crashes";
  constexpr std::int64_t kLimit = 3000;  // ts = i * 100: ten per window of a second
  auto spec = WindowSpec::tumbling(WindowLength::seconds(1));
  spec.event_time("ts");
  std::mt19937 rng(3);
  CheckpointId last = 0;
  EventSpout::restores = 0;
  EventSpout::restored_below_limit = 0;
  for (int run = 0; run < 3; ++run) {
    runtime::LocalCluster cluster(name, window_topology(spec, kLimit, 2), config(30));
    cluster.start();
    if (run < 2) {
      // Stopped at a random moment after one more checkpoint: windows are open then.
      auto deadline = std::chrono::steady_clock::now() + 10s;
      CheckpointId now = last;
      while (now == last && std::chrono::steady_clock::now() < deadline) {
        auto done = state::memory_backend()->completed(name);
        if (done.ok() && !done->empty()) now = done->back().id;
        std::this_thread::sleep_for(5ms);
      }
      ASSERT_NE(now, last) << "no checkpoint in run " << run;
      last = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 50));
      cluster.stop();  // a crash: no final checkpoint
      continue;
    }
    // The last window, [299000, 300000), stays open: the watermark never passes it.
    ASSERT_TRUE(eventually([] { return seen.by_start.size() >= kLimit / 10 - 1; }, 30s))
        << "not every window closed";
    cluster.stop();
  }
  // Both restarts went back mid-stream: the windows straddling them were restored.
  EXPECT_EQ(EventSpout::restores, 2);
  EXPECT_EQ(EventSpout::restored_below_limit, 2);
  std::lock_guard lock(seen.mutex);
  EXPECT_EQ(seen.conflicts, 0) << "a window closed twice with other contents";
  for (std::int64_t w = 0; w < kLimit / 10 - 1; ++w) {
    std::vector<std::int64_t> expected;
    for (std::int64_t i = w * 10; i < w * 10 + 10; ++i) expected.push_back(i);
    ASSERT_EQ(seen.by_start[w * 1000], expected) << "window " << w;
  }
}

TEST(WindowTest, TuplesAtTheLatestTimeOrWithinTheLagAreOnTime) {
  reset();
  // Tumbling 1 s, lag 5 s. i = 1 (9000) is older than the first tuple but within the lag; i = 2
  // has the latest time itself; at i = 3 (16000) the watermark is 10999.
  auto spec = WindowSpec::tumbling(WindowLength::seconds(1));
  spec.event_time("ts", 5000).late_tuple_stream("late");
  runtime::LocalCluster cluster(
      "within-the-lag", window_topology(spec, 4, 100, {10000, 9000, 10000, 16000}), config(1000));
  cluster.start();
  ASSERT_TRUE(eventually([] { return seen.windows.size() >= 2; }));
  std::this_thread::sleep_for(50ms);
  cluster.stop();
  std::lock_guard lock(seen.mutex);
  EXPECT_EQ(seen.windows, (Windows{{1}, {0, 2}}));
  EXPECT_EQ(seen.by_start.count(9000), 1u);
  EXPECT_EQ(seen.by_start.count(10000), 1u);
  EXPECT_TRUE(seen.late.empty());
}

TEST(WindowTest, ValuesOfEveryTypeRoundTripThroughState) {
  const Values values{Value(),    Value(true),   Value(-7),
                      Value(2.5), Value("text"), Value(Bytes{0, 1, 255})};
  const std::string bytes = detail::encode_one(values);
  EXPECT_EQ(detail::decode_one<Values>(bytes, "values"), values);
  EXPECT_THROW(detail::decode_one<Values>(bytes.substr(0, bytes.size() - 1), "values"),
               std::runtime_error);
  std::string unknown = detail::encode_one(Values{Value()});
  unknown.back() = '\x09';
  EXPECT_THROW(detail::decode_one<Values>(unknown, "values"), std::runtime_error);
}

// A late stream the bolt does not declare would fail every late tuple, and a stateful
// topology would go back to its checkpoint for each: refused at prepare.
class UndeclaredLateStream : public ListWindow {
 public:
  using ListWindow::ListWindow;
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"start", "tuples"}); }
};

TEST(WindowTest, AnUndeclaredLateStreamIsRefusedAtPrepare) {
  auto spec = WindowSpec::tumbling(WindowLength::seconds(1));
  spec.event_time("ts").late_tuple_stream("late");
  TopologyBuilder b;
  b.set_spout("events", [] { return std::make_unique<EventSpout>(1, 1); });
  b.set_bolt("window", [spec] {
     return std::make_unique<UndeclaredLateStream>(spec);
   }).global_grouping("events");
  runtime::LocalCluster cluster("undeclared-late", b.build(), config(1000));
  try {
    cluster.start();
    cluster.stop();
    FAIL() << "started";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("late stream 'late' is not declared"));
  }
}

TEST(WindowTest, AWindowWithoutALengthIsRefusedAtPrepare) {
  runtime::LocalCluster cluster("no-length",
                                window_topology(WindowSpec::tumbling(WindowLength::count(0)), 1, 1),
                                config(1000));
  try {
    cluster.start();
    cluster.stop();
    FAIL() << "started";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("its length and slide must be positive"));
  }
}

}  // namespace
}  // namespace gale::testing
