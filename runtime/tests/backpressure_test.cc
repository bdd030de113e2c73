// A slow consumer slows the spout: queues stay bounded and nothing is dropped.
#include <gtest/gtest.h>

#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

// Spends ~20 us per tuple (busy, so the test is not at the mercy of sleep granularity).
class SlowBolt : public BasicBolt {
 public:
  explicit SlowBolt(std::shared_ptr<std::atomic<std::int64_t>> seen) : seen_(std::move(seen)) {}
  void execute(const Tuple&, BasicCollector&) override {
    auto until = std::chrono::steady_clock::now() + 20us;
    while (std::chrono::steady_clock::now() < until) {
    }
    seen_->fetch_add(1);
  }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> seen_;
};

class FloodSpout : public Spout {
 public:
  explicit FloodSpout(std::shared_ptr<std::atomic<std::int64_t>> sent) : sent_(std::move(sent)) {}
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override {
    out_->emit({std::string(100, 'x')});  // untracked: only backpressure can hold it back
    sent_->fetch_add(1);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"payload"}); }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> sent_;
  SpoutCollector* out_ = nullptr;
};

TEST(BackpressureTest, SlowBoltThrottlesSpoutWithBoundedQueueAndNoLoss) {
  auto sent = std::make_shared<std::atomic<std::int64_t>>(0);
  auto seen = std::make_shared<std::atomic<std::int64_t>>(0);
  TopologyBuilder b;
  b.set_spout("flood", [sent] { return std::make_unique<FloodSpout>(sent); });
  b.set_bolt("slow", BasicBoltFactory([seen] { return std::make_unique<SlowBolt>(seen); }))
      .shuffle_grouping("flood");
  Config conf = test_config();
  conf.set(conf::kTopologyAckerExecutors, 0);
  conf.set(conf::kTopologyProducerBatchSize, 8);
  conf.set(conf::kTopologyExecutorReceiveBufferSize, 64);  // 8 batches of 8
  runtime::LocalCluster cluster("backpressure", b.build(), conf);
  cluster.start();

  // In flight at most: the queue (64) + one batch being executed + the spout's open batch and
  // its held-back batch (8 each). Without backpressure the spout would be 100,000s ahead.
  const std::int64_t bound = 64 + 8 + 8 + 8;
  // A sample counts only when the consumer did not move while the producer was read: the gap is
  // then exactly what was in flight at that moment, however long this thread lost its core
  // between the loads (it does under TSan on two cores, and the gap grew by what the bolt did).
  std::int64_t worst = 0;
  int samples = 0;
  auto until = std::chrono::steady_clock::now() + 500ms;
  while (std::chrono::steady_clock::now() < until) {
    std::int64_t before = seen->load();
    std::int64_t produced = sent->load();
    if (seen->load() == before) {
      worst = std::max(worst, produced - before);
      ++samples;
    }
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GT(samples, 50) << "too few exact samples to judge the bound";
  EXPECT_LE(worst, bound);
  EXPECT_GT(seen->load(), 1000) << "the topology made no progress";

  ASSERT_TRUE(cluster.drain(10s));
  EXPECT_EQ(seen->load(), sent->load()) << "tuples were dropped";
}

}  // namespace
}  // namespace gale::testing
