// Settings changed while a topology runs (Runtime::apply_settings, `gale set`): a declared key
// reaches every task through TopologyContext::settings(), topology.debug and its sample rate
// change what is logged, and nothing else is touched.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <set>
#include <sstream>

#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

// Records, for every tuple, the value of "test.mode" it saw, and the settings' version.
class ModeBolt : public BasicBolt {
 public:
  explicit ModeBolt(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}
  void prepare(const Config&, TopologyContext& context) override { live_ = &context.settings(); }
  void execute(const Tuple&, BasicCollector&) override {
    std::string mode = live_->get_string("test.mode", "none");
    probe_->with([&] { return modes_.insert(mode).second; });
  }
  void declare_outputs(OutputDeclarer&) const override {}
  static std::set<std::string> modes_;

 private:
  std::shared_ptr<Probe> probe_;
  const LiveSettings* live_ = nullptr;
};
std::set<std::string> ModeBolt::modes_;

// Emits one tuple a millisecond, without end.
class TickingSpout : public Spout {
 public:
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override {
    out_->emit({next_++});
    std::this_thread::sleep_for(1ms);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id"}); }

 private:
  SpoutCollector* out_ = nullptr;
  std::int64_t next_ = 0;
};

bool saw(const std::shared_ptr<Probe>& probe, const std::string& mode) {
  return probe->with([&] { return ModeBolt::modes_.contains(mode); });
}

TEST(SettingsTest, ADeclaredKeyReachesEveryTaskAndOthersAreIgnored) {
  ModeBolt::modes_.clear();
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("ticks", [] { return std::make_unique<TickingSpout>(); });
  b.set_bolt("modes", BasicBoltFactory([probe] { return std::make_unique<ModeBolt>(probe); }), 2)
      .shuffle_grouping("ticks");
  b.declare_changeable({"test.mode"});
  Config conf = test_config();
  ASSERT_TRUE(conf.set("test.mode", "configured"));
  runtime::LocalCluster cluster("settings", b.build(), conf);
  cluster.start();
  ASSERT_TRUE(eventually([&] { return saw(probe, "configured"); }));

  cluster.apply_settings({{"test.mode", "changed"}, {"test.other", "x"}});
  ASSERT_TRUE(eventually([&] { return saw(probe, "changed"); }));
  // Back to the config's value when the change is dropped.
  probe->with([&] { ModeBolt::modes_.clear(); });
  cluster.apply_settings({});
  ASSERT_TRUE(eventually([&] { return saw(probe, "configured"); }));
  cluster.stop();
}

TEST(SettingsTest, ATopologyMayDeclareOnlyItsOwnKeys) {
  TopologyBuilder b;
  b.set_spout("ticks", [] { return std::make_unique<TickingSpout>(); });
  b.declare_changeable({"topology.workers", "Bad Key", "risk.sample.rate"});
  try {
    b.build();
    FAIL() << "built";
  } catch (const InvalidTopology& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("changeable key 'topology.workers': a key under topology. is Gale's own"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("changeable key 'Bad Key': only a-z"), std::string::npos) << what;
    EXPECT_EQ(what.find("risk.sample.rate"), std::string::npos) << what;
  }
}

TEST(SettingsTest, LiveSettingsReadTypedValuesAndCountChanges) {
  LiveSettings live({{"a.rate", "2.5"}, {"a.count", "7"}});
  EXPECT_EQ(live.version(), 0u);
  EXPECT_EQ(live.get_double("a.rate", 0), 2.5);
  EXPECT_EQ(live.get_int("a.count", 0), 7);
  EXPECT_EQ(live.get("a.none"), std::nullopt);
  live.replace({{"a.rate", "fast"}, {"a.count", "9"}});
  EXPECT_EQ(live.version(), 1u);
  EXPECT_EQ(live.get_double("a.rate", 1.5), 1.5);  // not a number: the fallback
  EXPECT_EQ(live.get_string("a.rate", ""), "fast");
  EXPECT_EQ(live.get_int("a.count", 0), 9);
}

// topology.debug set while running logs the emits, one in 1/topology.debug.sample.rate of them,
// and set back to false logs none.
TEST(SettingsTest, DebugChangedWhileRunningLogsTheSampledShareOfEmits) {
  auto probe = std::make_shared<Probe>();
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  struct Unhook {  // the sink leaves with the test, however it ends
    ~Unhook() { spdlog::default_logger()->sinks().pop_back(); }
  } unhook;
  TopologyBuilder b;
  b.set_spout("ids", [probe] { return std::make_unique<CountingSpout>(probe, 400); });
  b.set_bolt("sink", [probe] {
     return std::make_unique<RecordingBolt>(probe);
   }).shuffle_grouping("ids");
  runtime::LocalCluster cluster("debug", b.build(), test_config());
  cluster.apply_settings({{"topology.debug", "true"}, {"topology.debug.sample.rate", "0.25"}});
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 400; }));
  ASSERT_TRUE(cluster.drain(10s));
  cluster.stop();
  std::string text = log.str();
  std::size_t lines = 0;  // only the spout emits
  for (auto at = text.find("ids:1 emitted on 'default'"); at != std::string::npos;
       at = text.find("ids:1 emitted on 'default'", at + 1))
    ++lines;
  EXPECT_EQ(lines, 100u) << text.substr(0, 2000);
}

}  // namespace
}  // namespace gale::testing
