// Routing through the running runtime: fields and direct groupings end to end, and emits that
// break the declared contract are reported, not delivered.
#include <gtest/gtest.h>

#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

// Emits `count` tuples (key = id % keys, id) on the default stream, or directly to the
// subscriber task chosen by id when `direct`.
class KeySpout : public Spout {
 public:
  KeySpout(int count, int keys, bool direct) : count_(count), keys_(keys), direct_(direct) {}
  void open(const Config&, TopologyContext& ctx, SpoutCollector& out) override {
    out_ = &out;
    targets_ = ctx.component_tasks("sink");
  }
  void next_tuple() override {
    if (next_ >= count_) return;
    Values v{"key-" + std::to_string(next_ % keys_), next_};
    if (direct_) {
      out_->emit_direct(targets_[static_cast<std::size_t>(next_) % targets_.size()], kDefaultStream,
                        v);
    } else {
      out_->emit(v);
    }
    ++next_;
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare(direct_, {"key", "id"}); }

 private:
  SpoutCollector* out_ = nullptr;
  std::vector<int> targets_;
  int count_, keys_, next_ = 0;
  bool direct_;
};

TEST(RoutingTest, FieldsGroupingDeliversEachKeyToOneTask) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<KeySpout>(2000, 50, false), 2);
  b.set_bolt("sink", bolt_of<RecordingBolt>(probe), 2)
      .set_num_tasks(4)
      .fields_grouping("spout", {"key"});
  runtime::LocalCluster cluster("fields", b.build(), test_config());
  cluster.start();
  ASSERT_TRUE(eventually([&] { return cluster.stats().find("sink")->executed == 4000; }));
  ASSERT_TRUE(cluster.drain(10s));
  std::map<std::string, std::set<int>> owners;
  std::size_t total = 0;
  probe->with([&] {
    for (auto& [task, list] : probe->received) {
      total += list.size();
      for (auto& v : list) owners[v[0].as_string()].insert(task);
    }
  });
  EXPECT_EQ(total, 4000u);
  EXPECT_EQ(owners.size(), 50u);
  for (auto& [key, tasks] : owners) EXPECT_EQ(tasks.size(), 1u) << key << " reached several tasks";
}

TEST(RoutingTest, DirectGroupingDeliversToTheChosenTask) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<KeySpout>(400, 7, true));
  b.set_bolt("sink", bolt_of<RecordingBolt>(probe), 4).direct_grouping("spout");
  runtime::LocalCluster cluster("direct", b.build(), test_config());
  cluster.start();
  ASSERT_TRUE(eventually([&] { return cluster.stats().find("sink")->executed == 400; }));
  ASSERT_TRUE(cluster.drain(10s));
  std::vector<int> tasks;
  probe->with([&] {
    for (auto& [task, list] : probe->received) tasks.push_back(task);
  });
  ASSERT_EQ(tasks.size(), 4u);
  probe->with([&] {
    for (auto& [task, list] : probe->received) {
      EXPECT_EQ(list.size(), 100u);
      for (auto& v : list) {
        auto id = static_cast<std::size_t>(v[1].as_int());
        EXPECT_EQ(tasks[id % 4], task) << "id " << id << " went to the wrong task";
      }
    }
  });
}

class MisbehavingSpout : public Spout {
 public:
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override {
    if (done_) return;
    done_ = true;
    out_->emit("nowhere", {1});                 // undeclared stream
    out_->emit({1, 2});                         // two values, one field
    out_->emit_direct(1, kDefaultStream, {1});  // default stream is not direct
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"n"}); }

 private:
  SpoutCollector* out_ = nullptr;
  bool done_ = false;
};

TEST(RoutingTest, EmitsBreakingTheDeclarationAreReportedAsErrors) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("bad", [] { return std::make_unique<MisbehavingSpout>(); });
  b.set_bolt("sink", bolt_of<RecordingBolt>(probe)).shuffle_grouping("bad");
  runtime::LocalCluster cluster("misbehaving", b.build(), test_config());
  cluster.start();
  ASSERT_TRUE(eventually([&] { return cluster.stats().find("bad")->error_count >= 1; }));
  ASSERT_TRUE(cluster.drain(5s));
  auto s = cluster.stats();
  // The first bad emit throws out of next_tuple; the spout is called again but is done.
  ASSERT_EQ(s.find("bad")->last_errors.size(), 1u);
  EXPECT_NE(s.find("bad")->last_errors[0].find("undeclared stream 'nowhere'"), std::string::npos)
      << s.find("bad")->last_errors[0];
  EXPECT_EQ(s.find("sink")->executed, 0u);
}

class ArityBolt : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector& out) override {
    if (in.get(0).as_int() == 0) out.emit({1, 2});  // two values, one field
    if (in.get(0).as_int() == 1) out.emit_direct(1, kDefaultStream, {1});
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"n"}); }
};

TEST(RoutingTest, BoltEmitErrorsFailTheInputAndNameTheProblem) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 2, false));
  b.set_bolt("arity", [] { return std::make_unique<ArityBolt>(); }).shuffle_grouping("spout");
  runtime::LocalCluster cluster("arity", b.build(), test_config());
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->failed_count() == 2; }));
  auto errors = cluster.stats().find("arity")->last_errors;
  ASSERT_EQ(errors.size(), 2u);
  std::sort(errors.begin(), errors.end());
  EXPECT_NE(errors[0].find("emitted 2 values on stream 'default', declared with fields [n]"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("emit_direct on stream 'default'"), std::string::npos) << errors[1];
}

}  // namespace
}  // namespace gale::testing
