#include "liveness.h"

#include <gtest/gtest.h>

namespace gale::nimbus {
namespace {

TEST(LivenessTest, ASlotIsSilentOnlyAfterATimeoutWithoutANewHeartbeat) {
  Liveness l(30);
  EXPECT_FALSE(l.silent("w", 1000, 5000));  // first look: watching begins
  EXPECT_FALSE(l.silent("w", 1000, 5030));
  EXPECT_TRUE(l.silent("w", 1000, 5031));
  EXPECT_FALSE(l.silent("w", 1031, 5032)) << "a new heartbeat is a sign of life";
  EXPECT_FALSE(l.silent("w", 1031, 5062));
  EXPECT_TRUE(l.silent("w", 1031, 5063));
}

// The heartbeat's own time is another machine's clock: only whether it changes counts.
TEST(LivenessTest, ClocksOfOtherMachinesDoNotMatter) {
  Liveness l(30);
  EXPECT_FALSE(l.silent("w", 1, 5000));  // a worker whose clock is far behind
  EXPECT_FALSE(l.silent("w", 2, 5020));
  EXPECT_FALSE(l.silent("w", 99999, 5040));  // or far ahead
  EXPECT_FALSE(l.silent("w", 100000, 5060));
}

TEST(LivenessTest, NoHeartbeatAtAllGetsAFullTimeoutFromTheFirstLook) {
  Liveness l(30);
  EXPECT_FALSE(l.silent("w", std::nullopt, 100));
  EXPECT_FALSE(l.silent("w", std::nullopt, 130));
  EXPECT_TRUE(l.silent("w", std::nullopt, 131));
  EXPECT_FALSE(l.silent("w", 7, 132)) << "its first heartbeat";
}

// After an outage the stored heartbeats are old, and the workers' next ones may come after
// Nimbus's first look: losing sight restarts the watch, whatever the order.
TEST(LivenessTest, LosingSightGivesEveryKeyAFullTimeoutFromTheNextLook) {
  Liveness l(30);
  EXPECT_FALSE(l.silent("w", 1000, 5000));
  l.lose_sight();  // ZooKeeper was unreachable from 5001 to 5040
  EXPECT_FALSE(l.silent("w", 1000, 5041)) << "an old heartbeat after the outage";
  EXPECT_FALSE(l.silent("w", 1000, 5071));
  EXPECT_TRUE(l.silent("w", 1000, 5072));
}

TEST(LivenessTest, KeysNotLookedAtInARoundAreForgotten) {
  Liveness l(30);
  EXPECT_FALSE(l.silent("a", 1, 0));
  EXPECT_FALSE(l.silent("b", 1, 0));
  l.end_round();
  EXPECT_TRUE(l.silent("a", 1, 40));  // b is not looked at this round
  l.end_round();
  EXPECT_FALSE(l.silent("b", 1, 100)) << "b was forgotten: watching begins again";
  EXPECT_TRUE(l.silent("a", 1, 100)) << "a was looked at and is still silent";
}

}  // namespace
}  // namespace gale::nimbus
