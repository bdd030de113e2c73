// The checkpoint coordinator (component __checkpoint, one task): every
// topology.state.checkpoint.interval.ms it starts checkpoint n by telling every spout task;
// spouts store their position and send barrier n downstream, bolts align and store their
// state. When every spout task and every stateful bolt task has stored its part, it records
// checkpoint n complete in the backend (the commit point), collects older checkpoints and
// tells the spouts. One checkpoint at a time; one not complete within
// topology.state.checkpoint.timeout.ms, or declined by a spout task that could not take its
// position, is abandoned. docs/STATE.md has the protocol.
#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>

#include "executor.h"
#include "gale/common/logging.h"
#include "gale/state/backend.h"

namespace gale::runtime {
namespace {

// How often the backend is asked whether every part of the checkpoint in flight is stored, and
// how often spouts that have not stored theirs are triggered again.
constexpr std::int64_t kPollNs = 2 * kNanosPerMilli;
constexpr std::int64_t kResendNs = 500 * kNanosPerMilli;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class CheckpointExecutor final : public Executor {
 public:
  CheckpointExecutor(Runtime& runtime, int index)
      : Executor(runtime, index, {}), stage_(runtime.layout(), index) {
    head_ = &stage_;
  }
  ~CheckpointExecutor() override { join(); }

  void add_checkpoint_stats(TopologyStats& out) const override {
    std::lock_guard lock(stats_mutex_);
    out.checkpoints.assign(recent_.begin(), recent_.end());
    out.checkpoints_abandoned = abandoned_;
  }

 private:
  void prepare() override {
    const Config& conf = layout_.config();
    interval_ns_ = conf.get_int(conf::kTopologyStateCheckpointIntervalMs) * kNanosPerMilli;
    timeout_ns_ = conf.get_int(conf::kTopologyStateCheckpointTimeoutMs) * kNanosPerMilli;
    retain_ = static_cast<int>(conf.get_int(conf::kTopologyStateCheckpointsRetained));
    for (const auto& c : layout_.components()) {
      if (c.kind == ComponentInfo::Kind::spout)
        spout_tasks_.insert(spout_tasks_.end(), c.tasks.begin(), c.tasks.end());
      if (c.kind == ComponentInfo::Kind::spout || c.stateful) participants_ += c.tasks.size();
    }
    auto begun = runtime_.state_backend().last_begun(topology());
    if (!begun.ok())
      throw std::runtime_error("cannot read the checkpoints of '" + topology() +
                               "': " + begun.error().message);
    last_id_ = std::max(*begun, runtime_.restored_checkpoint());
    next_ns_ = now() + interval_ns_;
  }

  bool work() override {
    const std::int64_t t = now();
    if (drain_inbox(t)) return true;
    if (t < next_ns_ || stopping()) return false;
    if (!in_flight_) {
      if (!runtime_.active()) {  // spouts not running yet: their barriers would not flow
        next_ns_ = t + kPollNs * 50;
        return false;
      }
      trigger(t);
      return true;
    }
    next_ns_ = t + kPollNs;
    auto stored = runtime_.state_backend().stored(topology(), id_);
    if (!stored.ok()) {
      spdlog::warn("{}: checkpoint {}: cannot read its parts: {}", topology(), id_,
                   stored.error().message);
    } else if (stored->size() >= participants_) {
      complete(t, std::move(*stored));
      return true;
    } else if (t >= resend_ns_) {
      // A spout that has not stored its part may not have had the trigger: a worker starting
      // later than this one refused it (another epoch). Spouts ignore one they took already.
      resend_ns_ = t + kResendNs;
      for (int task : spout_tasks_)
        if (std::none_of(stored->begin(), stored->end(),
                         [&](const state::StoredPart& p) { return p.task == task; }))
          send_ack({AckMessage::Kind::checkpoint, task, id_, 0});
      flush();
    }
    if (t - triggered_ns_ >= timeout_ns_) {
      spdlog::warn("{}: checkpoint {} abandoned: {} of {} parts stored within {} ms", topology(),
                   id_, stored.ok() ? stored->size() : 0, participants_,
                   timeout_ns_ / kNanosPerMilli);
      abandon("timeout");
      next_ns_ = t;
    }
    return false;
  }

  // Takes the spouts' declines; true if one abandoned the checkpoint in flight.
  bool drain_inbox(std::int64_t t) {
    bool abandoned = false;
    BatchPtr b;
    while (inbox().try_pop(b)) {
      for (const AckMessage& m : b->acks) {
        if (m.kind != AckMessage::Kind::checkpoint_declined || !in_flight_ || m.root != id_)
          continue;  // (a decline of a checkpoint already abandoned)
        spdlog::warn("{}: checkpoint {} abandoned: spout task {} took no position", topology(), id_,
                     m.value);
        abandon("declined by task " + std::to_string(m.value));
        next_ns_ = t + interval_ns_;
        abandoned = true;
      }
      BatchPool::release(std::move(b));
    }
    return abandoned;
  }

  void abandon(const std::string& why) {
    stage_.stats.report_error("checkpoint " + std::to_string(id_) + " abandoned (" + why + ")");
    {
      std::lock_guard lock(stats_mutex_);
      ++abandoned_;
    }
    in_flight_ = false;
  }

  void trigger(std::int64_t t) {
    id_ = ++last_id_;
    if (auto s = runtime_.state_backend().begin(topology(), id_); !s.ok()) {
      spdlog::warn("{}: checkpoint {} not started: {}", topology(), id_, s.error().message);
      next_ns_ = t + interval_ns_;
      return;
    }
    in_flight_ = true;
    triggered_ns_ = t;
    triggered_ms_ = unix_ms();
    next_ns_ = t + kPollNs;
    resend_ns_ = t + kResendNs;
    for (int task : spout_tasks_) send_ack({AckMessage::Kind::checkpoint, task, id_, 0});
    flush();
  }

  void complete(std::int64_t t, std::vector<state::StoredPart> parts) {
    state::CheckpointRecord record;
    record.id = id_;
    record.triggered_ms = triggered_ms_;
    record.duration_ms = (t - triggered_ns_) / kNanosPerMilli;
    for (const auto& p : parts) record.bytes += p.bytes;
    record.parts = std::move(parts);
    in_flight_ = false;
    next_ns_ = t + interval_ns_;
    auto& backend = runtime_.state_backend();
    if (auto s = backend.complete(topology(), record, runtime_.epoch()); !s.ok()) {
      spdlog::warn("{}: checkpoint {} not recorded complete: {}", topology(), id_,
                   s.error().message);
      return;
    }
    stage_.stats.executed.add();
    {
      std::lock_guard lock(stats_mutex_);
      recent_.push_back({record.id, record.triggered_ms, record.duration_ms, record.bytes,
                         static_cast<int>(record.parts.size())});
      if (recent_.size() > TopologyStats::kRecentCheckpoints) recent_.pop_front();
    }
    if (auto s = state::collect_garbage(backend, topology(), retain_); !s.ok())
      spdlog::warn("{}: old checkpoints not collected: {}", topology(), s.error().message);
    for (int task : spout_tasks_) send_ack({AckMessage::Kind::checkpoint_complete, task, id_, 0});
    flush();
  }

  void shutdown() override {}

  std::int64_t sleep_limit_ns(int) override { return until(next_ns_); }

  const std::string& topology() const { return layout_.topology_name(); }

  Stage stage_;
  std::int64_t interval_ns_ = 0;
  std::int64_t timeout_ns_ = 0;
  int retain_ = 1;
  std::vector<int> spout_tasks_;
  std::size_t participants_ = 0;
  CheckpointId last_id_ = 0;
  CheckpointId id_ = 0;  // the checkpoint in flight, or the last one
  bool in_flight_ = false;
  std::int64_t triggered_ns_ = 0;
  std::int64_t triggered_ms_ = 0;
  std::int64_t next_ns_ = 0;  // the next trigger, or the next look at the parts stored
  std::int64_t resend_ns_ = 0;
  mutable std::mutex stats_mutex_;  // guards recent_ and abandoned_, read by stats()
  std::deque<CheckpointSummary> recent_;
  std::uint64_t abandoned_ = 0;
};

std::unique_ptr<Executor> make_checkpoint_executor(Runtime& runtime, int index) {
  return std::make_unique<CheckpointExecutor>(runtime, index);
}

}  // namespace gale::runtime
