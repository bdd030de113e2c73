// channel-spend: card and account spending per channel (pos, ecommerce, atm, ...), from Gale's
// deterministic transaction generator. A team's first topology, built outside Gale's tree.
//
//   transactions (spout) --shuffle--> parse (bolt) --fields[channel]--> totals (bolt)
//
// The spout emits each transaction as JSON with a message id and replays it until acked; parse
// decodes it with Gale's event schemas (a malformed one goes to the "dead-letter" stream);
// totals keeps the count and sum per channel and prints them when the topology stops.
#include <gale/events/events.h>
#include <gale/events/generator.h>
#include <gale/gale.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

namespace {

class TransactionSpout : public gale::Spout {
 public:
  void open(const gale::Config& conf, gale::TopologyContext&, gale::SpoutCollector& out) override {
    out_ = &out;
    max_ = conf.get_int("spend.max.transactions", 0);
    gale::events::GeneratorOptions options;
    options.seed = static_cast<std::uint64_t>(conf.get_int("spend.seed", 1));
    generator_ = std::make_unique<gale::events::TransactionGenerator>(options);
  }

  void next_tuple() override {
    if (replay_.replay_one(*out_)) return;
    if (max_ > 0 && next_ >= static_cast<std::uint64_t>(max_)) return;
    std::string json = gale::events::to_json(generator_->next().transaction);
    replay_.emit(*out_, {json}, next_++);
  }

  void ack(gale::MessageId id) override { replay_.ack(id); }
  void fail(gale::MessageId id) override { replay_.fail(id); }
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"json"}); }

 private:
  gale::SpoutCollector* out_ = nullptr;
  std::unique_ptr<gale::events::TransactionGenerator> generator_;
  gale::ReplayBuffer replay_;
  std::uint64_t next_ = 0;
  std::int64_t max_ = 0;
};

class ParseBolt : public gale::BasicBolt {
 public:
  void execute(const gale::Tuple& in, gale::BasicCollector& out) override {
    const std::string& json = in.get("json").as_string();
    auto parsed = gale::events::parse_transaction(json);
    if (!parsed) {
      out.emit("dead-letter", {json, parsed.error().message});
      return;
    }
    const auto& tx = parsed.value();
    out.emit({std::string(gale::events::to_string(tx.channel)), tx.amount_minor});
  }
  void declare_outputs(gale::OutputDeclarer& d) const override {
    d.declare({"channel", "amount_minor"});
    d.declare_stream("dead-letter", {"json", "reason"});
  }
};

class TotalsBolt : public gale::BasicBolt {
 public:
  void execute(const gale::Tuple& in, gale::BasicCollector&) override {
    auto& total = totals_[in.get("channel").as_string()];
    total.count += 1;
    total.amount_minor += in.get("amount_minor").as_int();
  }
  void cleanup() override {
    for (const auto& [channel, total] : totals_)
      std::printf("channel %-12s transactions %8lld  amount %s\n", channel.c_str(),
                  static_cast<long long>(total.count),
                  gale::events::format_amount(total.amount_minor).c_str());
    std::fflush(stdout);
  }

 private:
  struct Total {
    std::int64_t count = 0;
    std::int64_t amount_minor = 0;
  };
  std::map<std::string, Total> totals_;
};

}  // namespace

GALE_TOPOLOGY(channel_spend, const gale::Config&) {
  gale::TopologyBuilder b;
  b.set_spout(
      "transactions", [] { return std::make_unique<TransactionSpout>(); }, 1);
  b.set_bolt(
       "parse", [] { return std::make_unique<ParseBolt>(); }, 2)
      .shuffle_grouping("transactions");
  b.set_bolt(
       "totals", [] { return std::make_unique<TotalsBolt>(); }, 2)
      .fields_grouping("parse", {"channel"});
  return b.build();
}
