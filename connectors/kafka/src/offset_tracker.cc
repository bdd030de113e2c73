#include "gale/kafka/offset_tracker.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gale::kafka {

std::chrono::milliseconds RetryPolicy::delay(std::int64_t attempt) const {
  double ms = static_cast<double>(initial.count()) *
              std::pow(multiplier, static_cast<double>(std::max<std::int64_t>(attempt - 1, 0)));
  double cap = static_cast<double>(max.count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, cap)));
}

OffsetTracker::OffsetTracker(std::size_t max_uncommitted, RetryPolicy retry)
    : max_uncommitted_(max_uncommitted), retry_(retry) {
  if (max_uncommitted_ == 0) throw std::invalid_argument("max uncommitted offsets must be >= 1");
}

bool OffsetTracker::emit(std::int64_t offset) {
  if (highest_emitted_ && offset <= *highest_emitted_) return false;
  highest_emitted_ = offset;
  entries_.emplace(offset, Entry{});
  ++unacked_;
  return true;
}

bool OffsetTracker::ack(std::int64_t offset) {
  auto it = entries_.find(offset);
  if (it == entries_.end() || it->second.state != State::in_flight) return false;
  mark_acked(it);
  return true;
}

OffsetTracker::FailOutcome OffsetTracker::fail(std::int64_t offset, Clock::time_point now) {
  auto it = entries_.find(offset);
  if (it == entries_.end() || it->second.state != State::in_flight) return FailOutcome::ignored;
  Entry& e = it->second;
  ++e.failures;
  if (retry_.max_retries >= 0 && e.failures > retry_.max_retries) {
    mark_acked(it);
    return FailOutcome::dropped;
  }
  e.state = State::awaiting_replay;
  e.due = now + retry_.delay(e.failures);
  replays_.emplace(e.due, offset);
  return FailOutcome::scheduled;
}

std::optional<std::int64_t> OffsetTracker::take_due_replay(Clock::time_point now) {
  if (replays_.empty() || replays_.begin()->first > now) return std::nullopt;
  std::int64_t offset = replays_.begin()->second;
  replays_.erase(replays_.begin());
  entries_.at(offset).state = State::in_flight;
  return offset;
}

std::optional<OffsetTracker::Clock::time_point> OffsetTracker::next_replay_due() const {
  if (replays_.empty()) return std::nullopt;
  return replays_.begin()->first;
}

std::optional<std::int64_t> OffsetTracker::committable() const {
  if (!entries_.empty()) return entries_.begin()->first;
  if (highest_emitted_) return *highest_emitted_ + 1;
  return std::nullopt;
}

bool OffsetTracker::is_unacked(std::int64_t offset) const {
  auto it = entries_.find(offset);
  return it != entries_.end() && it->second.state != State::acked;
}

void OffsetTracker::mark_acked(std::map<std::int64_t, Entry>::iterator it) {
  it->second.state = State::acked;
  --unacked_;
  // Acked offsets at the front are now covered by committable(); forget them.
  while (!entries_.empty() && entries_.begin()->second.state == State::acked)
    entries_.erase(entries_.begin());
}

}  // namespace gale::kafka
