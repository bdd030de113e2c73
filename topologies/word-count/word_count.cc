// word-count: sentences → split → count → report. See README.md.
#include <gale/gale.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <unordered_map>

namespace {

const char* const kSampleText[] = {
    "the quick brown fox jumps over the lazy dog",
    "a stream is an unbounded sequence of tuples",
    "spouts emit tuples and bolts process them",
    "every tuple tree is tracked until it is fully processed",
    "the acker xors edge ids and the tree completes at zero",
    "four score and seven years ago our fathers brought forth on this continent a new nation",
    "to be or not to be that is the question",
    "an apple a day keeps the doctor away",
};

class SentenceSpout : public gale::Spout {
 public:
  void open(const gale::Config& conf, gale::TopologyContext&, gale::SpoutCollector& out) override {
    out_ = &out;
    max_ = conf.get_int("wordcount.max.sentences", 0);
    rate_ = conf.get_double("wordcount.sentences.per.sec", 0);
    if (rate_ < 0) throw std::runtime_error("wordcount.sentences.per.sec: must not be negative");
    started_ = std::chrono::steady_clock::now();
    std::string file = conf.get_string("wordcount.input.file", "");
    if (file.empty()) {
      sentences_.assign(std::begin(kSampleText), std::end(kSampleText));
      return;
    }
    std::ifstream in(file);
    if (!in) throw std::runtime_error("wordcount.input.file: cannot read '" + file + "'");
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) sentences_.push_back(line);
    if (sentences_.empty())
      throw std::runtime_error("wordcount.input.file: '" + file + "' is empty");
  }

  void next_tuple() override {
    if (replay_.replay_one(*out_)) return;
    if (max_ > 0 && next_ >= static_cast<std::uint64_t>(max_)) return;
    if (rate_ > 0 && next_ >= due()) return;
    std::uint64_t id = next_++;
    replay_.emit(*out_, {sentence(id)}, id);
  }

  void ack(gale::MessageId id) override { replay_.ack(id); }
  void fail(gale::MessageId id) override { replay_.fail(id); }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"sentence"}); }

 private:
  const std::string& sentence(std::uint64_t id) const { return sentences_[id % sentences_.size()]; }

  // How many sentences the pace allows by now.
  std::uint64_t due() const {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started_;
    return static_cast<std::uint64_t>(elapsed.count() * rate_) + 1;
  }

  gale::SpoutCollector* out_ = nullptr;
  std::vector<std::string> sentences_;
  gale::ReplayBuffer replay_;
  std::uint64_t next_ = 0;
  std::int64_t max_ = 0;
  double rate_ = 0;
  std::chrono::steady_clock::time_point started_;
};

class SplitBolt : public gale::BasicBolt {
 public:
  void execute(const gale::Tuple& in, gale::BasicCollector& out) override {
    const std::string& s = in.get(0).as_string();
    std::string word;
    for (char c : s + " ") {
      if (std::isalnum(static_cast<unsigned char>(c))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else if (!word.empty()) {
        out.emit({word});
        word.clear();
      }
    }
  }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"word"}); }
};

class CountBolt : public gale::BasicBolt {
 public:
  void execute(const gale::Tuple& in, gale::BasicCollector& out) override {
    const std::string& word = in.get(0).as_string();
    std::int64_t n = ++counts_[word];
    out.emit({word, n});
  }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"word", "count"}); }

 private:
  std::unordered_map<std::string, std::int64_t> counts_;
};

class ReportBolt : public gale::BasicBolt {
 public:
  void prepare(const gale::Config& conf, gale::TopologyContext&) override {
    top_ = conf.get_int("wordcount.top", 10);
  }
  void execute(const gale::Tuple& in, gale::BasicCollector&) override {
    auto& c = counts_[in.get("word").as_string()];
    c = std::max(c, in.get("count").as_int());
  }
  void cleanup() override {
    std::vector<std::pair<std::string, std::int64_t>> sorted(counts_.begin(), counts_.end());
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::printf("word counts (top %lld of %zu words):\n", static_cast<long long>(top_),
                sorted.size());
    for (std::size_t i = 0; i < sorted.size() && static_cast<std::int64_t>(i) < top_; ++i)
      std::printf("  %-12s %lld\n", sorted[i].first.c_str(),
                  static_cast<long long>(sorted[i].second));
    std::fflush(stdout);
  }

 private:
  std::map<std::string, std::int64_t> counts_;
  std::int64_t top_ = 10;
};

}  // namespace

GALE_TOPOLOGY(word_count, const gale::Config& conf) {
  gale::TopologyBuilder b;
  b.set_spout(
      "sentences", [] { return std::make_unique<SentenceSpout>(); }, 1);
  b.set_bolt(
       "split", [] { return std::make_unique<SplitBolt>(); }, 2)
      .shuffle_grouping("sentences");
  b.set_bolt(
       "count", [] { return std::make_unique<CountBolt>(); }, 2)
      .set_num_tasks(4)
      .fields_grouping("split", {"word"});
  b.set_bolt(
       "report", [] { return std::make_unique<ReportBolt>(); }, 1)
      .global_grouping("count");
  return b.build();
}
