#pragma once
// The benchmark pipeline's components: const spout -> id bolt -> null bolt, shared by
// gale-bench (in-process) and the packaged bench_pipeline.so (gale-cluster-bench).
#include <gale/gale.h>

#include <functional>
#include <string>

namespace gale::bench {

inline constexpr std::size_t kItemBytes = 100;

// Emits the same 100-byte value `limit` times, tracked (with a message id) when `tracked`;
// calls `on_first` just before the first emit.
class ConstSpout : public Spout {
 public:
  ConstSpout(std::int64_t limit, bool tracked, std::function<void()> on_first = {})
      : limit_(limit), tracked_(tracked), on_first_(std::move(on_first)) {}
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override {
    if (sent_ >= limit_) return;
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

}  // namespace gale::bench
