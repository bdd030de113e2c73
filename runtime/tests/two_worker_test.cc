// A topology split over two runtimes (as over two worker processes), joined by the in-process
// transport: every batch that crosses is encoded, decoded and checked as between real workers.
// Pins at-least-once across workers, including the loss of one.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "gale/runtime/layout.h"
#include "gale/runtime/runtime.h"
#include "gale/testing/runtime_test_support.h"
#include "gale/transport/batch_codec.h"
#include "gale/transport/inproc_transport.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using runtime::Layout;
using runtime::Placement;
using runtime::Runtime;
using transport::InprocNetwork;
using transport::InprocTransport;

class RelayBolt : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector& out) override { out.emit({in.get(0)}); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }
};

// A worker's transport that decodes what it sends and counts the tuple records and their
// targets, then passes it on.
class CountingTransport final : public transport::Transport {
 public:
  explicit CountingTransport(std::unique_ptr<transport::Transport> inner)
      : inner_(std::move(inner)) {}
  Result<std::uint16_t> bind(const transport::Endpoint& e) override { return inner_->bind(e); }
  Status connect(const std::string& peer, const transport::Endpoint& e) override {
    return inner_->connect(peer, e);
  }
  bool disconnect(std::string_view peer) override { return inner_->disconnect(peer); }
  transport::SendResult send(std::string_view peer, std::span<const std::uint8_t> bytes,
                             transport::Deadline deadline) override {
    auto result = inner_->send(peer, bytes, deadline);
    if (result == transport::SendResult::ok) {
      std::lock_guard lock(mu_);
      Counter counter(*this);
      EXPECT_TRUE(decoder_.decode(bytes, counter));
    }
    return result;
  }
  std::optional<transport::Message> receive(transport::Deadline deadline) override {
    return inner_->receive(deadline);
  }
  void close() override { inner_->close(); }

  std::uint64_t records() const { return records_.load(); }
  std::uint64_t targets() const { return targets_.load(); }

 private:
  struct Counter final : transport::BatchVisitor {
    explicit Counter(CountingTransport& t) : t(t) {}
    void on_tuple(const transport::TupleView& v) override {
      t.records_ += 1;
      t.targets_ += v.target_tasks.size();
    }
    void on_ack(std::uint8_t, std::int32_t, std::uint64_t, std::uint64_t) override {}
    CountingTransport& t;
  };

  std::unique_ptr<transport::Transport> inner_;
  std::mutex mu_;
  transport::BatchDecoder decoder_;
  std::atomic<std::uint64_t> records_{0}, targets_{0};
};

// One worker: its transport, bound on a fixed endpoint (kept across restarts) and connected
// to the other worker, and its runtime.
struct WorkerSide {
  WorkerSide(std::string id, std::uint16_t port) : id(std::move(id)), port(port) {}
  std::string id;
  std::uint16_t port;
  std::unique_ptr<Layout> layout;
  std::unique_ptr<transport::Transport> transport;
  CountingTransport* counted = nullptr;  // `transport`, when the test counts what it sends
  std::unique_ptr<Runtime> runtime;

  void stop() {
    if (runtime) runtime->stop();
    runtime.reset();
    transport.reset();  // unbinds: what was queued for this worker is lost with it
  }
};

struct TwoWorkers : ::testing::Test {
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<InprocNetwork> network = InprocNetwork::create();
  Topology topology;
  Config conf = test_config();
  // Fixed endpoints, as slots in a cluster: a restarted worker binds the same one.
  WorkerSide side_a{"a", 6700}, side_b{"b", 6701};
  Runtime* a = nullptr;
  Runtime* b = nullptr;

  void SetUp() override {
    TopologyBuilder builder;
    builder.set_spout("spout", spout_of<CountingSpout>(probe, 2000));
    builder
        .set_bolt(
            "relay", [] { return std::make_unique<RelayBolt>(); }, 2)
        .shuffle_grouping("spout");
    builder.set_bolt("sink", bolt_of<RecordingBolt>(probe), 2).shuffle_grouping("relay");
    topology = builder.build();
    conf.set(conf::kTopologyAckerExecutors, 2);
    conf.set(conf::kTopologyMessageTimeoutSecs, 10);
    conf.set(conf::kTopologyProducerBatchSize, 16);
  }

  // Which executors worker A runs (by index); empty: each component's first executor, so that
  // every hop can cross. Worker B runs the rest.
  std::vector<int> a_executors;

  Placement placement(const Layout& layout, bool first, transport::Transport& transport) {
    Placement p;
    p.transport = &transport;
    p.epoch = 1;
    std::map<int, int> seen;
    for (int e = 0; e < static_cast<int>(layout.executors().size()); ++e) {
      bool in_a = a_executors.empty()
                      ? seen[layout.executors()[static_cast<std::size_t>(e)].component]++ == 0
                      : std::find(a_executors.begin(), a_executors.end(), e) != a_executors.end();
      if (in_a == first) p.local_executors.push_back(e);
      p.peers.push_back(in_a == first ? "" : (first ? "b" : "a"));
    }
    return p;
  }

  Runtime* start(WorkerSide& side, WorkerSide& peer, bool first, bool count = false) {
    side.transport = std::make_unique<InprocTransport>(network);
    if (count) {
      auto counted = std::make_unique<CountingTransport>(std::move(side.transport));
      side.counted = counted.get();
      side.transport = std::move(counted);
    }
    auto bound = side.transport->bind({transport::kLoopbackHost, side.port});
    EXPECT_TRUE(bound.ok());
    EXPECT_TRUE(side.transport->connect(peer.id, {transport::kLoopbackHost, peer.port}));
    side.layout = std::make_unique<Layout>("two", topology, conf);
    side.runtime = std::make_unique<Runtime>(*side.layout, clock,
                                             placement(*side.layout, first, *side.transport));
    side.runtime->start();
    return side.runtime.get();
  }
  void start_a(bool count = false) { a = start(side_a, side_b, true, count); }
  void start_b() { b = start(side_b, side_a, false); }
  void stop_b() {
    side_b.stop();
    b = nullptr;
  }

  void TearDown() override {
    // Stop both runtimes before either transport goes: a worker never outlives its transport.
    if (a) a->stop();
    if (b) b->stop();
    side_a.stop();
    side_b.stop();
  }
};

TEST_F(TwoWorkers, EveryTupleIsAckedOnceAcrossWorkers) {
  start_a();
  start_b();
  a->set_active(true);
  b->set_active(true);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 2000; }));
  EXPECT_EQ(probe->failed_count(), 0);
  std::size_t received = 0;
  probe->with([&] {
    EXPECT_EQ(probe->received.size(), 2u) << "both sink tasks, one per worker, should receive";
    for (auto& [task, list] : probe->received) received += list.size();
  });
  EXPECT_EQ(received, 2000u);
  // Each worker's statistics cover its own executors.
  EXPECT_EQ(a->stats().find("spout")->acked, 2000u);
  EXPECT_EQ(b->stats().find("spout")->acked, 0u);
  EXPECT_GT(b->stats().find("sink")->executed, 0u);
}

// Garbage at a worker's endpoint (a stray client, a corrupt frame) is refused and counted in
// the worker's statistics (the heartbeat's rejected_batches), and the topology runs on.
TEST_F(TwoWorkers, RefusedMessagesAreCountedAndHarmNothing) {
  start_a();
  start_b();
  InprocTransport stranger(network);
  ASSERT_TRUE(stranger.connect("a", {transport::kLoopbackHost, side_a.port}));
  const std::vector<std::uint8_t> garbage{0xde, 0xad, 0xbe, 0xef};
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(stranger.send("a", garbage, transport::Clock::now() + 5s), transport::SendResult::ok);
  ASSERT_TRUE(eventually([&] { return a->stats().rejected_batches == 3u; }))
      << "rejected " << a->stats().rejected_batches;
  // Tasks by component id, ackers last: relay 1, 2; sink 3, 4; spout 5; __acker 6, 7. A runs
  // relay task 1.
  // A well-formed record for it is taken; one naming it twice, or naming more targets than the
  // topology has tasks (each a copy of the values), is refused.
  auto send_record = [&](std::vector<std::int32_t> targets) {
    transport::BatchEncoder enc;
    enc.reset(1);
    enc.add_tuple(targets, 5, 0, Values{Value(std::int64_t{-1})}, {}, {});
    ASSERT_EQ(stranger.send("a", enc.bytes(), transport::Clock::now() + 5s),
              transport::SendResult::ok);
  };
  send_record({1});
  send_record({1, 1});
  send_record(std::vector<std::int32_t>(8, 1));
  ASSERT_TRUE(eventually([&] { return a->stats().rejected_batches == 5u; }))
      << "rejected " << a->stats().rejected_batches;
  a->set_active(true);
  b->set_active(true);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 2000; }));
  EXPECT_EQ(a->stats().rejected_batches, 5u);
  EXPECT_EQ(b->stats().rejected_batches, 0u);
}

TEST_F(TwoWorkers, LosingAWorkerLosesNothingOnceTimeoutsReplay) {
  // Keep the spout from finishing before the kill: at most 100 trees open at any time, about
  // half of them tracked by worker B's acker.
  conf.set(conf::kTopologyMaxSpoutPending, 100);
  start_a();
  start_b();
  a->set_active(true);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() >= 200; }));
  stop_b();  // kill: in-flight tuples and B's acker state are gone
  start_b();
  // Advance time only while progress has stalled: the lost trees then time out and replay.
  // Advancing on every poll would also time out live trees on a slow machine, and replays
  // could then outrun completions for ever.
  std::size_t last = 0;
  auto stalled_since = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually(
      [&] {
        std::size_t now_acked = probe->with([&] { return probe->acked.size(); });
        auto now = std::chrono::steady_clock::now();
        if (now_acked != last) {
          last = now_acked;
          stalled_since = now;
        } else if (now - stalled_since > 100ms) {
          clock->advance(5s);
          stalled_since = now;
        }
        return now_acked == 2000u;
      },
      60s))
      << "acked " << last << " of 2000";
  EXPECT_GT(probe->failed_count(), 0) << "the lost trees should have timed out and replayed";
}

// Operator chaining across a split the scheduler would not make: relay is chainable into the
// spout (local_or_shuffle, two executors each). Worker A runs spout executor 0 with relay 0
// chained into it, and relay 1 whose spout executor runs in B: relay 1 gets a thread of its
// own. Spout executor 1 in B has no relay task at hand, so local_or_shuffle sends to both
// relays in A: tuples from another worker reach a bolt chained into a spout.
TEST_F(TwoWorkers, ChainedAndUnchainedExecutorsMixAcrossWorkersAndLoseNothing) {
  TopologyBuilder builder;
  builder.set_spout("spout", spout_of<CountingSpout>(probe, 2000), 2);
  builder
      .set_bolt(
          "relay", [] { return std::make_unique<RelayBolt>(); }, 2)
      .local_or_shuffle_grouping("spout");
  builder.set_bolt("sink", bolt_of<RecordingBolt>(probe), 2).shuffle_grouping("relay");
  topology = builder.build();
  Layout layout("two", topology, conf);
  // Executors by component id: relay 0, 1; sink 2, 3; spout 4, 5; ackers 6, 7.
  ASSERT_EQ(layout.executors()[0].chain_parent, 4);
  ASSERT_EQ(layout.executors()[1].chain_parent, 5);
  a_executors = {0, 1, 4, 6};
  start_a();
  start_b();
  a->set_active(true);
  b->set_active(true);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 4000; }));
  EXPECT_EQ(probe->failed_count(), 0);
  probe->with([&] {  // both spout tasks emit ids 0 .. 1999
    for (auto& [id, n] : probe->acked) EXPECT_EQ(n, 2) << "id " << id;
  });
  // Relay ran all in A: 2000 tuples from A's spout (chained) and 2000 from B's (remote).
  EXPECT_EQ(a->stats().find("relay")->executed, 4000u);
  EXPECT_EQ(a->stats().find("relay")->executors, 2);
  EXPECT_EQ(b->stats().find("spout")->acked, 2000u);
}

// Encode once: one emit for three tasks of the other worker (all grouping) goes over the wire as
// one tuple record with three targets, each with its own ack value (every tree completes).
TEST_F(TwoWorkers, OneEmitForSeveralTasksOfAnotherWorkerIsEncodedOnce) {
  TopologyBuilder builder;
  builder.set_spout("spout", spout_of<CountingSpout>(probe, 500));
  builder.set_bolt("sink", bolt_of<RecordingBolt>(probe), 3).all_grouping("spout");
  topology = builder.build();
  Layout layout("two", topology, conf);
  // Executors by component id: sink 0, 1, 2; spout 3; ackers 4, 5. All of sink runs in B.
  ASSERT_EQ(layout.component(layout.executors()[3].component).id, "spout");
  a_executors = {3, 4};
  start_a(/*count=*/true);
  start_b();
  a->set_active(true);
  b->set_active(true);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 500; }));
  EXPECT_EQ(probe->failed_count(), 0);
  probe->with([&] {
    ASSERT_EQ(probe->received.size(), 3u);
    for (auto& [task, list] : probe->received) EXPECT_EQ(list.size(), 500u) << "task " << task;
  });
  const CountingTransport& sent = *side_a.counted;
  EXPECT_EQ(sent.targets(), 1500u);
  // One record per emit, but where a batch boundary splits one (at most one per batch).
  EXPECT_LE(sent.records(), sent.targets() / 2)
      << sent.records() << " tuple records for " << sent.targets() << " targets";
}

}  // namespace
}  // namespace gale::testing
