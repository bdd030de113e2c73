// test_ledger.so: a spout with a durable source, for at-least-once tests across worker
// restarts and rebalances. It emits ids 0..ledger.count-1 (tracked) and appends each acked id
// to <ledger.dir>/acked-<task>; a new life of the same task skips the ids already acked, as a
// Kafka spout resumes from its committed offsets. relay -> sink carry each id across workers.
// ledger.rate (ids a second, 0: no limit) keeps a run long enough to be interrupted. Each life
// of a spout task also keeps <ledger.dir>/emitting-<task>-<pid>-<n>: "<first> <last> <emits>
// <replays> <highest id>", the wall-clock milliseconds of its first and (to within 100 ms) last
// emit, how many emits it made, how many of them were replays (an id no higher than the highest
// any life of the task emitted before: ids go out in order the first time) and the highest id
// emitted, so a test can tell whether two lives of a task took input at the same time (a
// partitioned worker and its replacement) and how much was replayed. Acks are flushed to the
// acked file at least every 50 ms, so a test can read the rate from it.
#include <gale/gale.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
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
    const std::string lives = "emitting-" + std::to_string(ctx.this_task()) + "-";
    // One file per life: a worker that re-plans opens a new spout in the same process.
    static std::atomic<int> lives_in_process{0};
    emitting_path_ = conf.get_string("ledger.dir", "") + "/" + lives + std::to_string(::getpid()) +
                     "-" + std::to_string(lives_in_process++);
    // The highest id the task's earlier lives emitted: what this one emits up to it is replayed.
    for (const auto& f : std::filesystem::directory_iterator(conf.get_string("ledger.dir", ""))) {
      if (f.path().filename().string().rfind(lives, 0) != 0) continue;
      std::ifstream life(f.path());
      std::int64_t first = 0, last = 0, emits = 0, replays = 0, highest = -1;
      if (life >> first >> last >> emits >> replays >> highest)
        highest_ = std::max(highest_, highest);
    }
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
    if (id <= highest_) {
      ++replays_;
    } else {
      highest_ = id;
    }
    note_emit();
  }
  void ack(gale::MessageId id) override {
    log_ << id << "\n";
    if (++unflushed_ >= 100 || std::chrono::steady_clock::now() - flushed_ >= kFlushEvery) flush();
  }
  // A failed id goes out again next, as a Kafka spout retries a failed offset before new ones.
  void fail(gale::MessageId id) override { todo_.push_front(static_cast<std::int64_t>(id)); }
  void deactivate() override { flush(); }
  void close() override { flush(); }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  void flush() {
    log_.flush();
    unflushed_ = 0;
    flushed_ = std::chrono::steady_clock::now();
  }
  void note_emit() {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    if (first_emit_ms_ == 0) first_emit_ms_ = now;
    if (now - noted_ms_ < 100) return;
    noted_ms_ = now;
    std::ofstream(emitting_path_, std::ios::trunc)
        << first_emit_ms_ << " " << now << " " << emitted_ << " " << replays_ << " " << highest_
        << "\n";
  }
  gale::SpoutCollector* out_ = nullptr;
  std::string path_;
  std::string emitting_path_;
  std::int64_t first_emit_ms_ = 0;
  std::int64_t noted_ms_ = 0;
  std::deque<std::int64_t> todo_;
  std::ofstream log_;
  int unflushed_ = 0;
  double rate_ = 0;
  std::int64_t emitted_ = 0;
  std::int64_t highest_ = -1;
  std::int64_t replays_ = 0;
  static constexpr std::chrono::milliseconds kFlushEvery{50};
  std::chrono::steady_clock::time_point flushed_;
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
