#include "gale/common/bounded_queue.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gale {
namespace {

TEST(BoundedQueueTest, RefusesPushWhenFullAndKeepsOrder) {
  BoundedQueue<int> q(4);
  ASSERT_EQ(q.capacity(), 4u);
  for (int i = 0; i < 4; ++i) {
    int v = i;
    ASSERT_TRUE(q.try_push(v));
  }
  int extra = 99;
  EXPECT_FALSE(q.try_push(extra));
  EXPECT_EQ(extra, 99);
  for (int i = 0; i < 4; ++i) {
    int out = -1;
    ASSERT_TRUE(q.try_pop(out));
    EXPECT_EQ(out, i);
  }
  int out;
  EXPECT_FALSE(q.try_pop(out));
}

TEST(BoundedQueueTest, ManyProducersOneConsumerLoseNothing) {
  BoundedQueue<long> q(64);
  constexpr int kProducers = 3;
  constexpr long kEach = 100000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q, p] {
      for (long i = 0; i < kEach; ++i) {
        long v = p * kEach + i;
        while (!q.try_push(v)) std::this_thread::yield();
      }
    });
  }
  std::vector<long> last(kProducers, -1);
  long received = 0, sum = 0;
  while (received < kProducers * kEach) {
    long v;
    if (!q.try_pop(v)) continue;
    int p = static_cast<int>(v / kEach);
    EXPECT_GT(v % kEach, last[p]) << "per-producer order broken";
    last[p] = v % kEach;
    sum += v;
    ++received;
  }
  for (auto& t : producers) t.join();
  long n = kProducers * kEach;
  EXPECT_EQ(sum, n * (n - 1) / 2);
}

}  // namespace
}  // namespace gale
