#include "gale/common/id_map.h"

#include <gtest/gtest.h>

#include <map>

#include "gale/common/random.h"

namespace gale {
namespace {

TEST(IdMapTest, MatchesStdMapUnderRandomInsertAndTake) {
  IdMap<int> m(16);
  std::map<std::uint64_t, int> ref;
  IdGenerator gen(42);
  std::vector<std::uint64_t> ids;
  for (int round = 0; round < 20000; ++round) {
    if (ids.empty() || gen.next() % 3 != 0) {
      // Small ids collide in the low bits and exercise probing and backward shift.
      std::uint64_t id = gen.next() % 5000 + 1;
      auto [v, inserted] = m.try_emplace(id);
      EXPECT_EQ(inserted, ref.count(id) == 0);
      *v = round;
      ref[id] = round;
      ids.push_back(id);
    } else {
      std::uint64_t id = ids[gen.next() % ids.size()];
      int out = -1;
      bool had = ref.count(id) == 1;
      EXPECT_EQ(m.take(id, out), had);
      if (had) {
        EXPECT_EQ(out, ref[id]);
        ref.erase(id);
      }
    }
    ASSERT_EQ(m.size(), ref.size());
  }
  for (auto& [id, v] : ref) {
    ASSERT_NE(m.find(id), nullptr);
    EXPECT_EQ(*m.find(id), v);
  }
}

TEST(RotatingIdMapTest, EntryExpiresAfterAllBucketsRotate) {
  RotatingIdMap<int> m(3);
  m.get_or_create(7) = 70;
  std::vector<std::uint64_t> expired;
  auto collect = [&](std::uint64_t id, int&) { expired.push_back(id); };
  m.rotate(collect);
  m.rotate(collect);
  EXPECT_TRUE(expired.empty()) << "expired after only 2 of 3 rotations";
  m.rotate(collect);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], 7u);
  EXPECT_EQ(m.size(), 0u);
}

TEST(RotatingIdMapTest, TakeRemovesFromAnyGeneration) {
  RotatingIdMap<int> m(3);
  m.get_or_create(1) = 10;
  m.rotate([](std::uint64_t, int&) {});
  m.get_or_create(2) = 20;
  int out = 0;
  EXPECT_TRUE(m.take(1, out));
  EXPECT_EQ(out, 10);
  EXPECT_FALSE(m.take(1, out));
  EXPECT_EQ(m.size(), 1u);
}

TEST(IdGeneratorTest, NeverReturnsZeroAndDiffers) {
  IdGenerator a, b;
  EXPECT_NE(a.next(), b.next());
  IdGenerator g(1);
  for (int i = 0; i < 100000; ++i) ASSERT_NE(g.next(), 0u);
}

}  // namespace
}  // namespace gale
