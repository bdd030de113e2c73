// test_ledger.so: a spout with a durable source, for at-least-once tests across worker
// restarts and rebalances. It emits ids 0..ledger.count-1 (tracked) and appends each acked id
// to <ledger.dir>/acked-<task>; a new life of the same task skips the ids already acked, as a
// Kafka spout resumes from its committed offsets. relay -> sink carry each id across workers.
// ledger.rate (ids a second, 0: no limit) keeps a run long enough to be interrupted.
#include <gale/gale.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <set>

namespace {

class LedgerSpout : public gale::Spout {
 public:
  void open(const gale::Config& conf, gale::TopologyContext& ctx,
            gale::SpoutCollector& out) override {
    out_ = &out;
    path_ = conf.get_string("ledger.dir", "") + "/acked-" + std::to_string(ctx.this_task());
    std::set<std::int64_t> done;
    std::ifstream in(path_);
    for (std::int64_t id; in >> id;) done.insert(id);
    for (std::int64_t id = 0, n = conf.get_int("ledger.count", 1000); id < n; ++id)
      if (!done.count(id)) todo_.push_back(id);
    log_.open(path_, std::ios::app);
    rate_ = conf.get_double("ledger.rate", 0);
    start_ = std::chrono::steady_clock::now();
  }
  void next_tuple() override {
    if (todo_.empty()) {
      if (unflushed_ > 0) flush();  // idle: make the last acks visible
      return;
    }
    if (rate_ > 0) {  // at most ledger.rate ids a second
      double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      if (static_cast<double>(emitted_) >= rate_ * elapsed) return;
    }
    ++emitted_;
    std::int64_t id = todo_.front();
    todo_.pop_front();
    out_->emit({id}, static_cast<gale::MessageId>(id));
  }
  void ack(gale::MessageId id) override {
    log_ << id << "\n";
    if (++unflushed_ >= 100) flush();
  }
  void fail(gale::MessageId id) override { todo_.push_back(static_cast<std::int64_t>(id)); }
  void deactivate() override { flush(); }
  void close() override { flush(); }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  void flush() {
    log_.flush();
    unflushed_ = 0;
  }
  gale::SpoutCollector* out_ = nullptr;
  std::string path_;
  std::deque<std::int64_t> todo_;
  std::ofstream log_;
  int unflushed_ = 0;
  double rate_ = 0;
  std::int64_t emitted_ = 0;
  std::chrono::steady_clock::time_point start_;
};

class Relay : public gale::BasicBolt {
 public:
  void execute(const gale::Tuple& in, gale::BasicCollector& out) override { out.emit({in.get(0)}); }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"id"}); }
};

class Sink : public gale::BasicBolt {
 public:
  void execute(const gale::Tuple&, gale::BasicCollector&) override {}
};

}  // namespace

GALE_TOPOLOGY(ledger, const gale::Config& conf) {
  gale::TopologyBuilder b;
  b.set_spout("ledger", [] { return std::make_unique<LedgerSpout>(); });
  b.set_bolt(
       "relay", [] { return std::make_unique<Relay>(); }, 2)
      .set_num_tasks(4)
      .shuffle_grouping("ledger");
  b.set_bolt(
       "sink", [] { return std::make_unique<Sink>(); }, 2)
      .set_num_tasks(4)
      .shuffle_grouping("relay");
  return b.build();
}
