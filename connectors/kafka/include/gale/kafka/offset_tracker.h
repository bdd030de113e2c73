#pragma once
// One partition's emitted-but-not-yet-committable offsets: what the Kafka spout may commit,
// when it must stop emitting, and which failed messages are due for replay.
//
// Pure logic, no librdkafka: the spout feeds it emits, acks, fails and the time.
//
// The rule it keeps: committable() is the lowest offset not yet acked, so a commit never
// passes a message whose tuple tree has not completed. Acked offsets above an unacked one are
// remembered until everything below them is acked; together with the unacked ones they are
// the partition's "uncommitted" messages, capped by max_uncommitted.
//
// Threading: not thread-safe; the spout calls it from its executor thread only.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace gale::kafka {

// When a failed message is replayed: initial * multiplier^(attempt-1), at most max. After
// max_retries failed replays the message is given up (acked as dropped); a negative
// max_retries never gives up (at-least-once).
struct RetryPolicy {
  std::chrono::milliseconds initial{100};
  double multiplier = 2.0;
  std::chrono::milliseconds max{10'000};
  std::int64_t max_retries = -1;

  // The wait before replay number `attempt` (1 for the first replay).
  std::chrono::milliseconds delay(std::int64_t attempt) const;
};

class OffsetTracker {
 public:
  using Clock = std::chrono::steady_clock;

  enum class FailOutcome {
    ignored,    // the offset was not in flight (stale or duplicate fail)
    scheduled,  // it will be replayed when due
    dropped,    // max_retries reached: treated as acked; the caller logs and counts it
  };

  // max_uncommitted >= 1.
  OffsetTracker(std::size_t max_uncommitted, RetryPolicy retry);

  // False once the partition holds max_uncommitted uncommitted messages: emit no new ones
  // (replays are still allowed; they are already counted).
  bool can_emit() const { return entries_.size() < max_uncommitted_; }
  // A new message at `offset` goes out. False (and nothing recorded) if `offset` is not after
  // every offset emitted before: Kafka delivers a partition in order, so that is a duplicate.
  bool emit(std::int64_t offset);
  // The message's tuple tree completed. False if `offset` was not in flight (a stale or
  // duplicate ack), which changes nothing.
  bool ack(std::int64_t offset);
  FailOutcome fail(std::int64_t offset, Clock::time_point now);
  // The lowest failed offset whose backoff has passed, now in flight again; nothing when none
  // is due.
  std::optional<std::int64_t> take_due_replay(Clock::time_point now);
  // When the earliest scheduled replay is due; nothing when none is scheduled.
  std::optional<Clock::time_point> next_replay_due() const;

  // The offset to commit: the lowest one not yet acked, or one past the highest emitted when
  // all are acked; nothing before the first emit.
  std::optional<std::int64_t> committable() const;
  // Emitted messages at or above committable(): unacked ones and acked ones above them.
  std::size_t uncommitted() const { return entries_.size(); }
  // Emitted messages not yet acked (in flight or waiting for replay).
  std::size_t unacked() const { return unacked_; }
  bool is_unacked(std::int64_t offset) const;

 private:
  enum class State { in_flight, awaiting_replay, acked };
  struct Entry {
    State state = State::in_flight;
    std::int64_t failures = 0;
    Clock::time_point due{};
  };

  void mark_acked(std::map<std::int64_t, Entry>::iterator it);

  std::size_t max_uncommitted_;
  RetryPolicy retry_;
  std::map<std::int64_t, Entry> entries_;  // first entry is never acked (acked ones are pruned)
  std::set<std::pair<Clock::time_point, std::int64_t>> replays_;  // (due, offset)
  std::optional<std::int64_t> highest_emitted_;
  std::size_t unacked_ = 0;
};

}  // namespace gale::kafka
