// A topology split over two runtimes (as over two worker processes), joined by a loopback
// transfer that copies every batch field by field through Inbound, as a receiver would after
// decoding. Pins at-least-once across workers, including the loss of one.
#include <gtest/gtest.h>

#include <mutex>

#include "gale/worker/layout.h"
#include "gale/worker/remote.h"
#include "gale/worker/runtime.h"
#include "test_support.h"
#include "gale/worker/tuple_access.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using worker::Batch;
using worker::BatchPtr;
using worker::Inbound;
using worker::Layout;
using worker::Placement;
using worker::Runtime;

class RelayBolt : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector& out) override { out.emit({in.get(0)}); }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }
};

// Delivers to the peer runtime; while the peer is down, batches vanish as if lost in flight.
class LoopbackTransfer : public worker::RemoteTransfer {
 public:
  void connect(Runtime* peer) {
    std::lock_guard lock(mu_);
    peer_ = peer;
    inbound_ = peer ? std::make_unique<Inbound>(*peer) : nullptr;
  }
  bool try_send(int dest, const Batch& b) override {
    std::lock_guard lock(mu_);
    if (!peer_) return true;  // lost with the dead worker
    EXPECT_EQ(inbound_->begin(dest), "");
    for (std::size_t i = 0; i < b.size; ++i) {
      const Tuple& t = b.tuples[i];
      const auto* schema = detail::TupleAccess::schema(t);
      EXPECT_EQ(inbound_->add_tuple(b.targets[i], t.source_task(), schema->stream_index, t.values(),
                                    detail::TupleAccess::anchors(t)),
                "");
    }
    for (const auto& m : b.acks) EXPECT_EQ(inbound_->add_ack(m), "");
    BatchPtr out = inbound_->finish();
    if (peer_->try_deliver(dest, out)) return true;
    worker::BatchPool::release(std::move(out));
    return false;
  }

 private:
  std::mutex mu_;
  Runtime* peer_ = nullptr;
  std::unique_ptr<Inbound> inbound_;
};

struct TwoWorkers : ::testing::Test {
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  Topology topology;
  Config conf = test_config();
  std::unique_ptr<Layout> layout_a, layout_b;
  LoopbackTransfer to_a, to_b;
  std::unique_ptr<Runtime> a, b;

  void SetUp() override {
    TopologyBuilder builder;
    builder.set_spout("spout", spout_of<CountingSpout>(probe, 2000));
    builder.set_bolt("relay", [] { return std::make_unique<RelayBolt>(); }, 2).shuffle_grouping("spout");
    builder.set_bolt("sink", bolt_of<RecordingBolt>(probe), 2).shuffle_grouping("relay");
    topology = builder.build();
    conf.set(conf::kTopologyAckerExecutors, 2);
    conf.set(conf::kTopologyMessageTimeoutSecs, 10);
    conf.set(conf::kTopologyProducerBatchSize, 16);
  }

  // Worker A runs each component's first executor, worker B the rest: every hop can cross.
  Placement placement(const Layout& layout, bool first, LoopbackTransfer& out) {
    Placement p;
    p.remote = &out;
    std::map<int, int> seen;
    for (int e = 0; e < static_cast<int>(layout.executors().size()); ++e) {
      bool is_first = seen[layout.executors()[static_cast<std::size_t>(e)].component]++ == 0;
      if (is_first == first) p.local_executors.push_back(e);
    }
    return p;
  }

  // Each runtime is started before batches are delivered to it (as a worker binds its port
  // only once its runtime runs): delivering into a runtime not yet started is not allowed.
  void start_a() {
    layout_a = std::make_unique<Layout>("two", topology, conf);
    a = std::make_unique<Runtime>(*layout_a, clock, placement(*layout_a, true, to_b));
    a->start();
    to_a.connect(a.get());
  }
  void start_b() {
    layout_b = std::make_unique<Layout>("two", topology, conf);
    b = std::make_unique<Runtime>(*layout_b, clock, placement(*layout_b, false, to_a));
    b->start();
    to_b.connect(b.get());
  }
  void stop_b() {
    to_b.connect(nullptr);
    b->stop();
    b.reset();
  }

  void TearDown() override {
    to_a.connect(nullptr);
    to_b.connect(nullptr);
    if (a) a->stop();
    if (b) b->stop();
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

}  // namespace
}  // namespace gale::testing
