// OffsetTracker: the committable offset never passes an unacked message, the cap holds, and
// failed messages come back after their backoff.
#include "gale/kafka/offset_tracker.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "gale/kafka/message_id.h"

namespace gale::kafka {
namespace {

using namespace std::chrono_literals;
using Clock = OffsetTracker::Clock;

RetryPolicy quick_retry() {
  RetryPolicy r;
  r.initial = 10ms;
  r.multiplier = 2;
  r.max = 80ms;
  return r;
}

TEST(OffsetTrackerTest, NothingIsCommittableBeforeTheFirstEmit) {
  OffsetTracker t(10, quick_retry());
  EXPECT_FALSE(t.committable().has_value());
}

TEST(OffsetTrackerTest, CommittableStopsAtTheLowestUnackedOffset) {
  OffsetTracker t(10, quick_retry());
  for (std::int64_t o : {5, 6, 7, 9}) ASSERT_TRUE(t.emit(o));
  EXPECT_EQ(t.committable(), 5);
  ASSERT_TRUE(t.ack(6));
  ASSERT_TRUE(t.ack(9));
  EXPECT_EQ(t.committable(), 5) << "6 and 9 acked, 5 not: the commit must wait for 5";
  EXPECT_EQ(t.uncommitted(), 4u);
  ASSERT_TRUE(t.ack(5));
  EXPECT_EQ(t.committable(), 7);
  ASSERT_TRUE(t.ack(7));
  EXPECT_EQ(t.committable(), 10) << "all acked: one past the highest emitted (gaps skipped)";
  EXPECT_EQ(t.uncommitted(), 0u);
}

TEST(OffsetTrackerTest, StaleAndDuplicateAcksChangeNothing) {
  OffsetTracker t(10, quick_retry());
  ASSERT_TRUE(t.emit(1));
  ASSERT_TRUE(t.emit(2));
  EXPECT_FALSE(t.ack(0)) << "never emitted";
  ASSERT_TRUE(t.ack(2));
  EXPECT_FALSE(t.ack(2)) << "acked twice";
  EXPECT_FALSE(t.emit(2)) << "an offset at or below the highest emitted is a redelivery";
  EXPECT_EQ(t.committable(), 1);
  EXPECT_EQ(t.fail(2, Clock::now()), OffsetTracker::FailOutcome::ignored);
}

TEST(OffsetTrackerTest, TheCapCountsAckedMessagesAboveAnUnackedOne) {
  OffsetTracker t(3, quick_retry());
  ASSERT_TRUE(t.emit(0));
  ASSERT_TRUE(t.emit(1));
  ASSERT_TRUE(t.ack(1));
  ASSERT_TRUE(t.emit(2));
  EXPECT_FALSE(t.can_emit()) << "0 unacked, 1 acked above it, 2 in flight: three uncommitted";
  ASSERT_TRUE(t.ack(2));
  EXPECT_FALSE(t.can_emit()) << "still three until 0 is acked";
  ASSERT_TRUE(t.ack(0));
  EXPECT_TRUE(t.can_emit());
}

TEST(OffsetTrackerTest, FailedMessagesReplayAfterExponentialBackoff) {
  OffsetTracker t(10, quick_retry());
  Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(t.emit(4));
  ASSERT_EQ(t.fail(4, t0), OffsetTracker::FailOutcome::scheduled);
  EXPECT_EQ(t.committable(), 4) << "a failed message holds the commit back";
  EXPECT_FALSE(t.take_due_replay(t0 + 9ms));
  EXPECT_EQ(t.take_due_replay(t0 + 10ms), 4);
  EXPECT_FALSE(t.take_due_replay(t0 + 10ms)) << "taken once";
  ASSERT_EQ(t.fail(4, t0), OffsetTracker::FailOutcome::scheduled);
  EXPECT_EQ(t.next_replay_due(), t0 + 20ms) << "second replay waits twice as long";
  EXPECT_EQ(t.take_due_replay(t0 + 20ms), 4);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(t.fail(4, t0), OffsetTracker::FailOutcome::scheduled);
    ASSERT_EQ(t.take_due_replay(t0 + 80ms), 4) << "the delay is capped at max";
  }
  ASSERT_TRUE(t.ack(4));
  EXPECT_EQ(t.committable(), 5);
}

TEST(OffsetTrackerTest, RetryDelayGrowsByTheMultiplierUpToTheMax) {
  RetryPolicy r;
  r.initial = 100ms;
  r.multiplier = 1.5;
  r.max = 300ms;
  EXPECT_EQ(r.delay(1), 100ms);
  EXPECT_EQ(r.delay(2), 150ms);
  EXPECT_EQ(r.delay(3), 225ms);
  EXPECT_EQ(r.delay(4), 300ms);
  EXPECT_EQ(r.delay(100), 300ms);
}

TEST(OffsetTrackerTest, AMessageIsDroppedAfterMaxRetriesAndNoLongerHoldsTheCommit) {
  RetryPolicy r = quick_retry();
  r.max_retries = 2;
  OffsetTracker t(10, r);
  Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(t.emit(0));
  ASSERT_TRUE(t.emit(1));
  ASSERT_TRUE(t.ack(1));
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(t.fail(0, t0), OffsetTracker::FailOutcome::scheduled);
    ASSERT_EQ(t.take_due_replay(t0 + 1s), 0);
  }
  EXPECT_EQ(t.fail(0, t0), OffsetTracker::FailOutcome::dropped);
  EXPECT_EQ(t.committable(), 2);
  EXPECT_FALSE(t.is_unacked(0));
}

// What the tracker must do, computed the obvious way: every emitted offset and whether it is
// still unacked.
struct Model {
  std::map<std::int64_t, bool> unacked;  // offset -> still unacked
  std::int64_t highest = -1;

  std::optional<std::int64_t> committable() const {
    for (const auto& [o, open] : unacked)
      if (open) return o;
    if (highest < 0) return std::nullopt;
    return highest + 1;
  }
  std::size_t uncommitted() const {
    std::optional<std::int64_t> c = committable();
    std::size_t n = 0;
    for (const auto& [o, open] : unacked) n += (c && o >= *c) ? 1 : 0;
    return n;
  }
};

// Random interleavings of emit (with gaps), ack, fail, replay and time passing, with and
// without a retry limit: after every step the tracker agrees with the model, the commit never
// passes an unacked offset, the cap holds; and once everything is acked (or given up) the
// commit reaches one past the last offset.
TEST(OffsetTrackerTest, PropertyCommitNeverPassesAnUnackedOffset) {
  for (std::uint32_t seed = 1; seed <= 1000; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&](std::size_t n) {
      return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    const std::size_t cap = 1 + pick(12);
    RetryPolicy retry = quick_retry();
    retry.max_retries = seed % 3 == 0 ? static_cast<std::int64_t>(pick(3)) : -1;
    OffsetTracker t(cap, retry);
    Model model;
    std::vector<std::int64_t> in_flight;  // emitted or replayed, neither acked nor failed since
    Clock::time_point now = Clock::now();
    std::int64_t next = static_cast<std::int64_t>(pick(100));
    std::optional<std::int64_t> last_commit;

    auto check = [&](int step) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step));
      ASSERT_EQ(t.committable(), model.committable());
      ASSERT_LE(t.uncommitted(), cap);
      ASSERT_EQ(t.uncommitted(), model.uncommitted());
      for (const auto& [o, open] : model.unacked) {
        if (open) {
          ASSERT_LE(*t.committable(), o) << "commit passed unacked offset " << o;
        }
      }
      if (last_commit) {
        ASSERT_GE(*t.committable(), *last_commit) << "commit went backwards";
      }
      last_commit = t.committable();
    };
    auto take_in_flight = [&]() {
      std::size_t i = pick(in_flight.size());
      std::int64_t o = in_flight[i];
      in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(i));
      return o;
    };

    for (int step = 0; step < 200; ++step) {
      switch (pick(5)) {
        case 0:
        case 1:
          if (t.can_emit()) {
            next += 1 + static_cast<std::int64_t>(pick(3) == 0 ? pick(5) : 0);  // gaps
            ASSERT_TRUE(t.emit(next));
            model.unacked[next] = true;
            model.highest = next;
            in_flight.push_back(next);
          }
          break;
        case 2:
          if (!in_flight.empty()) {
            std::int64_t o = take_in_flight();
            ASSERT_TRUE(t.ack(o));
            model.unacked[o] = false;
          }
          break;
        case 3:
          if (!in_flight.empty()) {
            std::int64_t o = take_in_flight();
            if (t.fail(o, now) == OffsetTracker::FailOutcome::dropped) model.unacked[o] = false;
          }
          break;
        case 4:
          now += std::chrono::milliseconds(pick(40));
          while (auto o = t.take_due_replay(now)) in_flight.push_back(*o);
          break;
      }
      check(step);
      if (::testing::Test::HasFatalFailure()) return;
    }

    // Drain: ack everything in flight, let every replay come due and ack it.
    for (int round = 0; round < 1000 && t.unacked() > 0; ++round) {
      for (std::int64_t o : in_flight) {
        ASSERT_TRUE(t.ack(o));
        model.unacked[o] = false;
      }
      in_flight.clear();
      now += 1s;
      while (auto o = t.take_due_replay(now)) in_flight.push_back(*o);
      check(-1);
      if (::testing::Test::HasFatalFailure()) return;
    }
    ASSERT_EQ(t.unacked(), 0u) << "seed " << seed;
    if (model.highest >= 0) {
      ASSERT_EQ(t.committable(), model.highest + 1) << "seed " << seed;
    }
    ASSERT_EQ(t.uncommitted(), 0u);
  }
}

TEST(SpoutMessageIdTest, SlotAndOffsetRoundTrip) {
  for (SpoutMessageId id : {SpoutMessageId{0, 0}, SpoutMessageId{1, 42},
                            SpoutMessageId{65535, kMaxTrackedOffset}, SpoutMessageId{7, 1}}) {
    EXPECT_EQ(SpoutMessageId::decode(id.encode()), id);
  }
  EXPECT_NE(SpoutMessageId({1, 5}).encode(), SpoutMessageId({2, 5}).encode())
      << "the same offset under another assignment slot is another message";
}

}  // namespace
}  // namespace gale::kafka
