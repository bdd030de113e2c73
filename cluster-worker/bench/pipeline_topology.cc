// The benchmark pipeline, packaged: const spout -> id bolt -> null bolt. The spout writes the
// wall-clock time of its first emit to bench.start.file; the null bolt writes the time it has
// executed bench.tuples tuples to bench.done.file (both ns since the epoch).
#include <gale/gale.h>

#include <chrono>
#include <fstream>

namespace {

void write_now(const std::string& path) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::ofstream(path) << ns << "\n";
}

class ConstSpout : public gale::Spout {
 public:
  void open(const gale::Config& conf, gale::TopologyContext&, gale::SpoutCollector& out) override {
    out_ = &out;
    limit_ = conf.get_int("bench.tuples", 1'000'000);
    tracked_ = conf.get_bool("bench.acking", false);
    start_file_ = conf.get_string("bench.start.file");
  }
  void next_tuple() override {
    if (sent_ >= limit_) return;
    if (sent_ == 0 && !start_file_.empty()) write_now(start_file_);
    if (tracked_) {
      out_->emit(values_, static_cast<gale::MessageId>(sent_));
    } else {
      out_->emit(values_);
    }
    ++sent_;
  }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"payload"}); }

 private:
  gale::Values values_{std::string(100, 'x')};
  gale::SpoutCollector* out_ = nullptr;
  std::int64_t limit_ = 0, sent_ = 0;
  bool tracked_ = false;
  std::string start_file_;
};

class IdBolt : public gale::Bolt {
 public:
  void prepare(const gale::Config&, gale::TopologyContext&, gale::OutputCollector& out) override {
    out_ = &out;
  }
  void execute(const gale::Tuple& in) override {
    out_->emit(in, in.values());
    out_->ack(in);
  }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"payload"}); }

 private:
  gale::OutputCollector* out_ = nullptr;
};

class NullBolt : public gale::Bolt {
 public:
  void prepare(const gale::Config& conf, gale::TopologyContext&, gale::OutputCollector& out) override {
    out_ = &out;
    limit_ = conf.get_int("bench.tuples", 1'000'000);
    done_file_ = conf.get_string("bench.done.file");
  }
  void execute(const gale::Tuple& in) override {
    out_->ack(in);
    if (++seen_ == limit_ && !done_file_.empty()) write_now(done_file_);
  }

 private:
  gale::OutputCollector* out_ = nullptr;
  std::int64_t limit_ = 0, seen_ = 0;
  std::string done_file_;
};

}  // namespace

GALE_TOPOLOGY(bench_pipeline, const gale::Config& conf) {
  gale::TopologyBuilder b;
  b.set_spout("const", [] { return std::make_unique<ConstSpout>(); });
  b.set_bolt("id", [] { return std::make_unique<IdBolt>(); }).shuffle_grouping("const");
  b.set_bolt("null", [] { return std::make_unique<NullBolt>(); }).shuffle_grouping("id");
  return b.build();
}
