#pragma once
// Components and helpers for runtime tests. Tests run the topology in-process (LocalCluster),
// so components report to a Probe the test reads, and the test steers them through it.
#include <gale/gale.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gale/common/clock.h"
#include "gale/runtime/local_cluster.h"

namespace gale::testing {

struct Probe {
  std::mutex mu;
  std::map<MessageId, int> acked;                  // message id -> times acked
  std::map<MessageId, int> failed;                 // message id -> times failed
  std::map<int, std::vector<Values>> received;     // task -> values received
  std::vector<std::pair<int, std::int64_t>> held;  // (task, id) tuples a HoldingBolt keeps
  std::set<std::int64_t> release;                  // ids a HoldingBolt may ack now
  bool release_all = false;
  int ticks = 0;
  std::int64_t max_in_flight = 0;

  template <typename F>
  auto with(F&& f) {
    std::lock_guard lock(mu);
    return f();
  }
  int acked_count() {
    return with([&] {
      int n = 0;
      for (auto& [id, c] : acked) n += c;
      return n;
    });
  }
  int failed_count() {
    return with([&] {
      int n = 0;
      for (auto& [id, c] : failed) n += c;
      return n;
    });
  }
  std::size_t held_count() {
    return with([&] { return held.size(); });
  }
};

// Polls `pred` until it holds or 10 s pass.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

// Emits ids 0..count-1 as ("id") with message id = id; replays failed ids if asked.
class CountingSpout : public Spout {
 public:
  CountingSpout(std::shared_ptr<Probe> probe, std::int64_t count, bool replay = true)
      : probe_(std::move(probe)), count_(count), replay_(replay) {}
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override {
    probe_->with(
        [&] { probe_->max_in_flight = std::max(probe_->max_in_flight, out_->pending_count()); });
    if (!replays_.empty()) {
      auto id = replays_.back();
      replays_.pop_back();
      out_->emit({static_cast<std::int64_t>(id)}, id);
    } else if (next_ < count_) {
      out_->emit({next_}, static_cast<MessageId>(next_));
      ++next_;
    }
  }
  void ack(MessageId id) override {
    probe_->with([&] { return ++probe_->acked[id]; });
  }
  void fail(MessageId id) override {
    probe_->with([&] { return ++probe_->failed[id]; });
    if (replay_) replays_.push_back(id);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  std::shared_ptr<Probe> probe_;
  SpoutCollector* out_ = nullptr;
  std::int64_t count_;
  std::int64_t next_ = 0;
  bool replay_;
  std::vector<MessageId> replays_;
};

// Emits ids below a limit the test raises; replays failed ids.
class GatedSpout : public Spout {
 public:
  GatedSpout(std::shared_ptr<Probe> probe, std::shared_ptr<std::atomic<std::int64_t>> limit)
      : probe_(std::move(probe)), limit_(std::move(limit)) {}
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override {
    if (!replays_.empty()) {
      MessageId id = replays_.back();
      replays_.pop_back();
      out_->emit({static_cast<std::int64_t>(id)}, id);
    } else if (next_ < limit_->load()) {
      out_->emit({next_}, static_cast<MessageId>(next_));
      ++next_;
    }
  }
  void ack(MessageId id) override {
    probe_->with([&] { return ++probe_->acked[id]; });
  }
  void fail(MessageId id) override {
    probe_->with([&] { return ++probe_->failed[id]; });
    replays_.push_back(id);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  std::shared_ptr<Probe> probe_;
  std::shared_ptr<std::atomic<std::int64_t>> limit_;
  SpoutCollector* out_ = nullptr;
  std::int64_t next_ = 0;
  std::vector<MessageId> replays_;
};

// Records every tuple it receives by task, then acks it.
class RecordingBolt : public Bolt {
 public:
  explicit RecordingBolt(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& out) override {
    task_ = ctx.this_task();
    out_ = &out;
  }
  void execute(const Tuple& t) override {
    if (t.is_tick()) {
      probe_->with([&] { return ++probe_->ticks; });
      return;
    }
    probe_->with([&] { probe_->received[task_].push_back(t.values()); });
    out_->ack(t);
  }

 private:
  std::shared_ptr<Probe> probe_;
  OutputCollector* out_ = nullptr;
  int task_ = 0;
};

// Keeps each input (field 0 an int id) unacked until the test puts its id in
// Probe::release (or sets release_all); re-checks on every input and every tick.
class HoldingBolt : public Bolt {
 public:
  explicit HoldingBolt(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}
  void prepare(const Config&, TopologyContext& ctx, OutputCollector& out) override {
    out_ = &out;
    task_ = ctx.this_task();
  }
  void execute(const Tuple& t) override {
    if (!t.is_tick()) {
      held_.push_back(t);
      probe_->with([&] { probe_->held.emplace_back(task_, t.get(0).as_int()); });
    }
    std::vector<Tuple> keep;
    for (auto& h : held_) {
      bool go = probe_->with(
          [&] { return probe_->release_all || probe_->release.count(h.get(0).as_int()) > 0; });
      if (go) {
        out_->ack(h);
      } else {
        keep.push_back(h);
      }
    }
    held_.swap(keep);
  }

 private:
  std::shared_ptr<Probe> probe_;
  OutputCollector* out_ = nullptr;
  int task_ = 0;
  std::vector<Tuple> held_;
};

template <typename T, typename... Args>
SpoutFactory spout_of(Args... args) {
  return [=] { return std::make_unique<T>(args...); };
}
template <typename T, typename... Args>
BoltFactory bolt_of(Args... args) {
  return [=] { return std::make_unique<T>(args...); };
}

// Test config: tick every second for holding bolts to re-check, short timeouts off unless set.
inline Config test_config() {
  Config c;
  c.set(conf::kTopologyAckerExecutors, 1);
  c.set(conf::kTopologySpoutWaitParkMicrosec, 50);
  c.set(conf::kTopologyBoltWaitParkMicrosec, 50);
  return c;
}

}  // namespace gale::testing
