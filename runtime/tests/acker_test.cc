// The acker's algorithm message by message (Storm's XOR tracking).
#include "acker.h"

#include <gtest/gtest.h>

#include "gale/common/random.h"

namespace gale::runtime {
namespace {

using Kind = AckMessage::Kind;

AckMessage init(std::uint64_t root, std::uint64_t value, int spout_task = 7) {
  return {Kind::init, spout_task, root, value};
}
AckMessage ack(std::uint64_t root, std::uint64_t value) {
  return {Kind::ack, 0, root, value};
}
AckMessage fail(std::uint64_t root) {
  return {Kind::fail, 0, root, 0};
}

TEST(AckerTest, TreeCompletesWhenAllEdgesAcked) {
  AckerState acker;
  const std::uint64_t root = 42, e1 = 0x1111, e2 = 0x2222, e3 = 0x4444;
  // Spout emitted to two tasks (edges e1, e2).
  EXPECT_FALSE(acker.apply(init(root, e1 ^ e2)));
  // Task 1 acked e1 after emitting a child e3 anchored to it.
  EXPECT_FALSE(acker.apply(ack(root, e1 ^ e3)));
  EXPECT_FALSE(acker.apply(ack(root, e2)));
  auto done = acker.apply(ack(root, e3));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, Kind::completed);
  EXPECT_EQ(done->task, 7);
  EXPECT_EQ(done->root, root);
  EXPECT_EQ(acker.pending(), 0u);
}

TEST(AckerTest, AcksBeforeInitWaitForTheInit) {
  AckerState acker;
  const std::uint64_t root = 9, e1 = 0xabc;
  EXPECT_FALSE(acker.apply(ack(root, e1))) << "completed without knowing the spout";
  auto done = acker.apply(init(root, e1));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, Kind::completed);
}

TEST(AckerTest, FailBeforeInitFailsWhenInitArrives) {
  AckerState acker;
  EXPECT_FALSE(acker.apply(fail(5)));
  auto done = acker.apply(init(5, 0x77));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, Kind::failed);
  EXPECT_EQ(acker.pending(), 0u);
}

TEST(AckerTest, FailAfterInitFailsAtOnce) {
  AckerState acker;
  EXPECT_FALSE(acker.apply(init(5, 0x77)));
  auto done = acker.apply(fail(5));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, Kind::failed);
}

TEST(AckerTest, SpoutTupleToNoTaskCompletesAtInit) {
  AckerState acker;
  auto done = acker.apply(init(3, 0));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, Kind::completed);
}

TEST(AckerTest, RandomTreesCompleteExactlyAtTheirLastAck) {
  IdGenerator ids(2024);
  AckerState acker;
  for (int tree = 0; tree < 200; ++tree) {
    std::uint64_t root = ids.next();
    // A random tree: every edge id is created once (XORed in) and acked once (XORed out).
    std::vector<std::uint64_t> edges(1 + ids.next() % 20);
    for (auto& e : edges) e = ids.next();
    std::uint64_t first = edges[0];
    ASSERT_FALSE(acker.apply(init(root, first)));
    // Ack edge i while announcing edge i+1 (a child anchored to it), then the last alone.
    for (std::size_t i = 0; i + 1 < edges.size(); ++i)
      ASSERT_FALSE(acker.apply(ack(root, edges[i] ^ edges[i + 1]))) << "tree " << tree;
    auto done = acker.apply(ack(root, edges.back()));
    ASSERT_TRUE(done) << "tree " << tree;
    EXPECT_EQ(done->kind, Kind::completed);
  }
  EXPECT_EQ(acker.pending(), 0u);
}

TEST(AckerTest, TimedOutTreeIsForgottenAfterAllGenerations) {
  AckerState acker(3);
  acker.apply(init(11, 0x5));
  acker.expire_oldest();
  acker.expire_oldest();
  EXPECT_EQ(acker.pending(), 1u);
  acker.expire_oldest();
  EXPECT_EQ(acker.pending(), 0u);
}

}  // namespace
}  // namespace gale::runtime
