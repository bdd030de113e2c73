#pragma once
// The benchmark pipeline's components: const spout -> id bolt -> null bolt, shared by
// gale-bench (in-process) and the packaged bench_pipeline.so (gale-cluster-bench).
#include <gale/gale.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace gale::bench {

inline constexpr std::size_t kItemBytes = 100;

// Emits the same 100-byte value `limit` times, tracked (with a message id) when `tracked`;
// calls `on_first` just before the first emit. With `says_when_done`, tells the runtime once
// its input has ended (SpoutCollector::set_polled(false)), so that it is no longer polled.
class ConstSpout : public Spout {
 public:
  ConstSpout(std::int64_t limit, bool tracked, std::function<void()> on_first = {},
             bool says_when_done = false)
      : limit_(limit),
        tracked_(tracked),
        on_first_(std::move(on_first)),
        says_when_done_(says_when_done) {}
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override {
    if (sent_ >= limit_) {
      if (says_when_done_) out_->set_polled(false);
      return;
    }
    if (sent_ == 0 && on_first_) on_first_();
    if (tracked_) {
      out_->emit(values_, static_cast<MessageId>(sent_));
    } else {
      out_->emit(values_);
    }
    ++sent_;
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"payload"}); }

 private:
  Values values_{std::string(kItemBytes, 'x')};
  SpoutCollector* out_ = nullptr;
  std::int64_t limit_, sent_ = 0;
  bool tracked_;
  std::function<void()> on_first_;
  bool says_when_done_;
};

// Re-emits its input anchored, then acks it.
class IdBolt : public Bolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void execute(const Tuple& in) override {
    out_->emit(in, in.values());
    out_->ack(in);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"payload"}); }

 private:
  OutputCollector* out_ = nullptr;
};

// Acks (when `ack`) and counts; calls `on_count(n)` after each tuple.
class NullBolt : public Bolt {
 public:
  NullBolt(bool ack, std::function<void(std::int64_t)> on_count)
      : ack_(ack), on_count_(std::move(on_count)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void execute(const Tuple& in) override {
    if (ack_) out_->ack(in);
    on_count_(++count_);
  }

 private:
  OutputCollector* out_ = nullptr;
  bool ack_;
  std::function<void(std::int64_t)> on_count_;
  std::int64_t count_ = 0;
};

// Complete latencies in microseconds, as the paced spout measures them (from its own thread).
using Latencies = std::vector<double>;

// Emits `total` tracked tuples at `rate` per second from its first next_tuple (open loop: a
// late spout catches up, as real traffic would) and records each tree's complete latency, emit
// to ack(), but for the trees of the first half second (or fifth of the run, if shorter): the
// warm-up, where workers may still be connecting to each other. Once all are acked, calls
// `on_all_acked` with the seconds since the first emit.
class PacedSpout : public Spout {
 public:
  using Clock = std::chrono::steady_clock;
  PacedSpout(double rate, std::int64_t total, std::shared_ptr<Latencies> latencies,
             std::function<void(double)> on_all_acked = {})
      : interval_ns_(static_cast<std::int64_t>(1e9 / rate)),
        total_(total),
        warmup_(std::min<std::int64_t>(total / 5, static_cast<std::int64_t>(rate / 2))),
        latencies_(std::move(latencies)),
        on_all_acked_(std::move(on_all_acked)) {
    emitted_at_.resize(static_cast<std::size_t>(total_));
  }
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override {
    if (sent_ >= total_) return;
    auto now = Clock::now();
    if (sent_ == 0) start_ = now;
    if (now < start_ + std::chrono::nanoseconds(sent_ * interval_ns_)) return;
    emitted_at_[static_cast<std::size_t>(sent_)] = now;
    out_->emit(values_, static_cast<MessageId>(sent_));
    ++sent_;
  }
  void ack(MessageId id) override {
    if (static_cast<std::int64_t>(id) >= warmup_)
      latencies_->push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - emitted_at_[id]).count());
    if (++acked_ == total_ && on_all_acked_)
      on_all_acked_(std::chrono::duration<double>(Clock::now() - start_).count());
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"payload"}); }

 private:
  Values values_{std::string(kItemBytes, 'x')};
  SpoutCollector* out_ = nullptr;
  std::int64_t interval_ns_, total_, warmup_, sent_ = 0, acked_ = 0;
  Clock::time_point start_;
  std::vector<Clock::time_point> emitted_at_;
  std::shared_ptr<Latencies> latencies_;
  std::function<void(double)> on_all_acked_;
};

// "p50 … p99 … p99.9 …" in milliseconds, and whether p99 meets 1 ms. Sorts `l`.
inline std::string percentiles(Latencies& l) {
  if (l.empty()) return "no trees completed";
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) {
    return l[std::min(l.size() - 1, static_cast<std::size_t>(p * l.size()))];
  };
  char line[200];
  std::snprintf(line, sizeof line,
                "p50 %.3f ms   p99 %.3f ms   p99.9 %.3f ms   (%zu trees; target p99 <= 1 ms) %s",
                pct(0.5) / 1e3, pct(0.99) / 1e3, pct(0.999) / 1e3, l.size(),
                pct(0.99) <= 1000 ? "MET" : "SHORT");
  return line;
}

}  // namespace gale::bench
