// A topology whose bolt subscribes to a component that does not exist.
#include <gale/gale.h>

namespace {
class Silent : public gale::Spout {
  void open(const gale::Config&, gale::TopologyContext&, gale::SpoutCollector&) override {}
  void next_tuple() override {}
  void declare_outputs(gale::OutputDeclarer& d) const override { d.declare({"x"}); }
};
class Sink : public gale::BasicBolt {
  void execute(const gale::Tuple&, gale::BasicCollector&) override {}
};
}  // namespace

GALE_TOPOLOGY(invalid, const gale::Config& conf) {
  gale::TopologyBuilder b;
  b.set_spout("source", [] { return std::make_unique<Silent>(); });
  b.set_bolt("sink", [] { return std::make_unique<Sink>(); }).shuffle_grouping("sourse");
  return b.build();
}
