// Building and validating topologies, and the BasicBolt adapter.
#include "gale/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gale/errors.h"
#include "test_support.h"

namespace gale {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Streams = std::vector<StreamDeclaration>;

Streams default_stream(Fields fields) {
  return {{kDefaultStream, std::move(fields), false}};
}

void declare_all(const Streams& streams, OutputDeclarer& declarer) {
  for (const StreamDeclaration& s : streams) declarer.declare_stream(s.id, s.direct, s.fields);
}

class StubSpout : public Spout {
 public:
  explicit StubSpout(Streams streams) : streams_(std::move(streams)) {}
  void open(const Config&, TopologyContext&, SpoutCollector&) override {}
  void next_tuple() override {}
  void declare_outputs(OutputDeclarer& d) const override { declare_all(streams_, d); }

 private:
  Streams streams_;
};

class StubBolt : public Bolt {
 public:
  explicit StubBolt(Streams streams) : streams_(std::move(streams)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
  void execute(const Tuple&) override {}
  void declare_outputs(OutputDeclarer& d) const override { declare_all(streams_, d); }

 private:
  Streams streams_;
};

class StubBasicBolt : public BasicBolt {
 public:
  explicit StubBasicBolt(Streams streams) : streams_(std::move(streams)) {}
  void execute(const Tuple&, BasicCollector&) override {}
  void declare_outputs(OutputDeclarer& d) const override { declare_all(streams_, d); }

 private:
  Streams streams_;
};

SpoutFactory spout_of(Streams s) {
  return [s] { return std::make_unique<StubSpout>(s); };
}
BoltFactory bolt_of(Streams s = {}) {
  return [s] { return std::make_unique<StubBolt>(s); };
}
BasicBoltFactory basic_bolt_of(Streams s = {}) {
  return [s] { return std::make_unique<StubBasicBolt>(s); };
}

// sentences -> split -> count, as a topology author writes it.
void add_word_count(TopologyBuilder& b) {
  b.set_spout("sentences", spout_of(default_stream({"sentence"})), 2);
  b.set_bolt("split", basic_bolt_of(default_stream({"word"})), 4).shuffle_grouping("sentences");
  b.set_bolt("count", bolt_of(default_stream({"word", "count"})), 4)
      .fields_grouping("split", {"word"});
}

// The problems build() reports, one per line of InvalidTopology; empty when it builds.
std::vector<std::string> build_problems(TopologyBuilder& b) {
  std::string what;
  try {
    b.build();
    return {};
  } catch (const InvalidTopology& e) {
    what = e.what();
  }
  const std::string header = "invalid topology:";
  const std::string bullet = "\n  - ";
  EXPECT_EQ(what.substr(0, header.size()), header);
  std::vector<std::string> problems;
  for (std::size_t at = what.find(bullet); at != std::string::npos;) {
    std::size_t next = what.find(bullet, at + bullet.size());
    problems.push_back(what.substr(at + bullet.size(), next - at - bullet.size()));
    at = next;
  }
  return problems;
}

// ---- names --------------------------------------------------------------------------------

TEST(CheckNameTest, AcceptsLettersDigitsDotsUnderscoresAndDashes) {
  EXPECT_EQ(check_name("component id", "Word-count_v1.2"), "");
  EXPECT_EQ(check_name("component id", "_private"), "");
  EXPECT_EQ(check_name("component id", std::string(128, 'a')), "");
}

TEST(CheckNameTest, RefusesCharactersUnsafeInPathsNamingWhatAndName) {
  EXPECT_EQ(check_name("component id", "a/b"),
            "component id 'a/b' is not safe as a path: only letters, digits, '.', '_' and '-' "
            "are allowed");
  for (const char* name : {"a b", "a\\b", "a:b", "caf\xc3\xa9", "a\nb"}) {
    EXPECT_THAT(check_name("stream id", name), HasSubstr("only letters, digits")) << name;
  }
}

TEST(CheckNameTest, RefusesEmptyName) {
  EXPECT_EQ(check_name("topology name", ""), "topology name '' is empty");
}

TEST(CheckNameTest, RefusesNameLongerThan128Characters) {
  EXPECT_THAT(check_name("component id", std::string(129, 'a')),
              HasSubstr("is too long: 129 characters, at most 128"));
}

TEST(CheckNameTest, RefusesDotAndDotDotAnywhere) {
  for (const char* name : {".", "..", "a..b", "..a", "a.."}) {
    EXPECT_THAT(check_name("component id", name), HasSubstr("must not be '.' or contain '..'"))
        << name;
  }
}

TEST(CheckNameTest, RefusesDoubleUnderscorePrefixReservedForSystem) {
  EXPECT_EQ(check_name("stream id", "__tick"),
            "stream id '__tick' starts with '__', which is reserved for system components and "
            "streams");
}

// ---- validation ---------------------------------------------------------------------------

TEST(ValidateTest, TopologyWithoutComponentsIsRefused) {
  TopologyBuilder b;
  EXPECT_THAT(build_problems(b), ElementsAre("topology has no components"));
}

TEST(ValidateTest, TopologyWithoutSpoutIsRefused) {
  TopologyBuilder b;
  b.set_bolt("lonely", bolt_of());
  EXPECT_THAT(build_problems(b), ElementsAre("topology has no spout"));
}

TEST(ValidateTest, UnsafeComponentIdIsRefused) {
  TopologyBuilder b;
  b.set_spout("a/b", spout_of({}));
  EXPECT_THAT(build_problems(b), Contains(HasSubstr("component id 'a/b' is not safe as a path")));
}

TEST(ValidateTest, UnsafeStreamIdIsRefusedButDefaultIsAccepted) {
  TopologyBuilder b;
  b.set_spout("src", spout_of({{kDefaultStream, {"x"}, false}, {"__mine", {"x"}, false}}));
  EXPECT_THAT(build_problems(b),
              ElementsAre("component 'src': stream id '__mine' starts with '__', which is "
                          "reserved for system components and streams"));
}

TEST(ValidateTest, DuplicateComponentIdIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("split", bolt_of()).shuffle_grouping("sentences");
  EXPECT_THAT(build_problems(b),
              ElementsAre("component id 'split' is used by more than one component"));
}

TEST(ValidateTest, DuplicateStreamIdIsRefused) {
  TopologyBuilder b;
  b.set_spout("src", spout_of({{"events", {"a"}, false}, {"events", {"b"}, false}}));
  EXPECT_THAT(build_problems(b),
              ElementsAre("component 'src' declares stream 'events' more than once"));
}

TEST(ValidateTest, DuplicateFieldIsRefused) {
  TopologyBuilder b;
  b.set_spout("src", spout_of(default_stream({"id", "amount", "id"})));
  EXPECT_THAT(build_problems(b),
              ElementsAre("stream 'src:default' declares field 'id' more than once"));
}

TEST(ValidateTest, ZeroParallelismIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of(), 0).shuffle_grouping("count");
  EXPECT_THAT(build_problems(b), ElementsAre("component 'sink': parallelism must be >= 1, got 0"));
}

TEST(ValidateTest, NegativeTaskCountIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of()).shuffle_grouping("count").set_num_tasks(-1);
  EXPECT_THAT(build_problems(b), ElementsAre(HasSubstr("component 'sink': number of tasks")));
}

TEST(ValidateTest, MoreExecutorsThanTasksIsRefused) {
  TopologyBuilder b;
  b.set_spout("sentences", spout_of(default_stream({"sentence"})));
  b.set_bolt("split", bolt_of(), 4).shuffle_grouping("sentences").set_num_tasks(2);
  EXPECT_THAT(build_problems(b),
              ElementsAre("component 'split' has 4 executors but only 2 tasks; executors cannot "
                          "exceed tasks"));
}

TEST(ValidateTest, MoreTasksThanExecutorsIsAccepted) {
  TopologyBuilder b;
  b.set_spout("sentences", spout_of(default_stream({"sentence"})), 2).set_num_tasks(8);
  Topology t = b.build();
  EXPECT_EQ(t.components[0].tasks(), 8);
}

TEST(ValidateTest, SpoutWithInputsIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  Topology t = b.build();
  t.components[0].inputs.push_back({"count", kDefaultStream, {}});
  EXPECT_THAT(validate(t), ElementsAre("spout 'sentences' cannot have inputs"));
}

TEST(ValidateTest, MissingFactoryIsRefused) {
  TopologyBuilder b;
  b.set_spout("src", nullptr);
  b.set_bolt("sink", BoltFactory{});
  b.set_bolt("basic", BasicBoltFactory{});
  EXPECT_THAT(build_problems(b),
              ElementsAre("spout 'src' has no factory", "bolt 'sink' has no factory",
                          "bolt 'basic' has no factory"));
}

TEST(ValidateTest, UnknownSourceComponentIsRefused) {
  TopologyBuilder b;
  b.set_spout("sentences", spout_of(default_stream({"sentence"})));
  b.set_bolt("count", bolt_of()).shuffle_grouping("splitt");
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'count' subscribes to unknown component 'splitt'"));
}

TEST(ValidateTest, UndeclaredStreamIsRefusedListingTheDeclaredOnes) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of()).shuffle_grouping("split", "words");
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'sink' subscribes to stream 'words' of 'split', which declares "
                          "only [default]"));
}

TEST(ValidateTest, StreamOfComponentDeclaringNothingIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("quiet", bolt_of()).shuffle_grouping("count");
  b.set_bolt("sink", bolt_of()).shuffle_grouping("quiet");
  EXPECT_THAT(build_problems(b), ElementsAre(HasSubstr("which declares no streams")));
}

TEST(ValidateTest, FieldsGroupingOnUndeclaredFieldIsRefused) {
  TopologyBuilder b;
  b.set_spout("sentences", spout_of(default_stream({"sentence"})));
  b.set_bolt("split", bolt_of(default_stream({"word"}))).shuffle_grouping("sentences");
  b.set_bolt("count", bolt_of()).fields_grouping("split", {"wrd"});
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'count' groups 'split:default' by field 'wrd', which is not one "
                          "of [word]"));
}

TEST(ValidateTest, PartialKeyGroupingOnUndeclaredFieldIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("top", bolt_of()).partial_key_grouping("count", {"word", "total"});
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'top' groups 'count:default' by field 'total', which is not one "
                          "of [word, count]"));
}

TEST(ValidateTest, FieldsGroupingWithoutFieldsIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("top", bolt_of()).fields_grouping("count", Fields{});
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'top' uses fields grouping on 'count:default' with no fields"));
}

TEST(ValidateTest, DirectGroupingOnIndirectStreamIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of()).direct_grouping("count");
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'sink' uses direct grouping on 'count:default', which is not "
                          "declared direct"));
}

TEST(ValidateTest, IndirectGroupingOnDirectStreamIsRefused) {
  TopologyBuilder b;
  b.set_spout("src", spout_of({{"targeted", {"x"}, true}}));
  b.set_bolt("ok", bolt_of()).direct_grouping("src", "targeted");
  b.set_bolt("wrong", bolt_of()).shuffle_grouping("src", "targeted");
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'wrong' uses shuffle grouping on 'src:targeted', a direct stream "
                          "that only direct grouping can subscribe to"));
}

TEST(ValidateTest, CustomGroupingWithoutFactoryIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of()).custom_grouping("count", nullptr);
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'sink' uses custom grouping on 'count:default' without a "
                          "factory"));
}

TEST(ValidateTest, SameStreamSubscribedTwiceIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of()).shuffle_grouping("count").all_grouping("count");
  EXPECT_THAT(build_problems(b),
              ElementsAre("bolt 'sink' subscribes to 'count:default' more than once"));
}

TEST(ValidateTest, CyclesAreAllowed) {
  TopologyBuilder b;
  b.set_spout("src", spout_of(default_stream({"x"})));
  b.set_bolt("a", bolt_of(default_stream({"x"}))).shuffle_grouping("src").shuffle_grouping("b");
  b.set_bolt("b", bolt_of(default_stream({"x"}))).shuffle_grouping("a");
  EXPECT_THAT(build_problems(b), IsEmpty());
}

TEST(ValidateTest, EveryProblemIsListedOnALineOfItsOwn) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of(), 0).shuffle_grouping("nowhere");
  std::string what = message_of<InvalidTopology>([&] { b.build(); });
  EXPECT_EQ(what,
            "invalid topology:\n"
            "  - component 'sink': parallelism must be >= 1, got 0\n"
            "  - bolt 'sink' subscribes to unknown component 'nowhere'");
}

// ---- building -----------------------------------------------------------------------------

TEST(TopologyBuilderTest, WordCountBuildsWithComponentsInInsertionOrder) {
  TopologyBuilder b;
  add_word_count(b);
  Topology t = b.build();
  ASSERT_EQ(t.components.size(), 3u);
  EXPECT_EQ(t.components[0].id, "sentences");
  EXPECT_EQ(t.components[0].kind, ComponentDef::Kind::spout);
  EXPECT_EQ(t.components[1].id, "split");
  EXPECT_EQ(t.components[2].id, "count");
  EXPECT_EQ(t.components[2].parallelism, 4);
  ASSERT_EQ(t.components[2].inputs.size(), 1u);
  const InputDef& in = t.components[2].inputs[0];
  EXPECT_EQ(in.component, "split");
  EXPECT_EQ(in.stream, kDefaultStream);
  EXPECT_EQ(in.grouping.kind, Grouping::Kind::fields);
  EXPECT_EQ(in.grouping.fields, (Fields{"word"}));
}

TEST(TopologyBuilderTest, BuildCapturesDeclaredOutputs) {
  TopologyBuilder b;
  b.set_spout("src", spout_of({{kDefaultStream, {"a", "b"}, false}, {"alerts", {"id"}, true}}));
  Topology t = b.build();
  const StreamDeclaration* alerts = t.find_stream("src", "alerts");
  ASSERT_NE(alerts, nullptr);
  EXPECT_EQ(alerts->fields, (Fields{"id"}));
  EXPECT_TRUE(alerts->direct);
  ASSERT_NE(t.find_stream("src", kDefaultStream), nullptr);
  EXPECT_EQ(t.find_stream("src", kDefaultStream)->fields, (Fields{"a", "b"}));
}

TEST(TopologyBuilderTest, FindGivesNullForWhatIsNotThere) {
  TopologyBuilder b;
  add_word_count(b);
  Topology t = b.build();
  EXPECT_EQ(t.find("split")->id, "split");
  EXPECT_EQ(t.find("nope"), nullptr);
  EXPECT_EQ(t.find_stream("split", "nope"), nullptr);
  EXPECT_EQ(t.find_stream("nope", kDefaultStream), nullptr);
}

TEST(TopologyBuilderTest, BasicBoltFactoryIsAdaptedToABolt) {
  TopologyBuilder b;
  add_word_count(b);
  Topology t = b.build();
  std::unique_ptr<Bolt> split = t.find("split")->bolt();
  ASSERT_NE(split, nullptr);
  OutputDeclarer d;
  split->declare_outputs(d);
  ASSERT_EQ(d.streams().size(), 1u);
  EXPECT_EQ(d.streams()[0].fields, (Fields{"word"}));
}

TEST(TopologyBuilderTest, FactoryReturningNullIsRefusedNamingTheComponent) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", [] { return std::unique_ptr<Bolt>(); }).shuffle_grouping("count");
  EXPECT_THAT(build_problems(b), ElementsAre("bolt 'sink': its factory returned null"));
}

TEST(TopologyBuilderTest, FactoryThrowingIsRefusedNamingTheComponent) {
  TopologyBuilder b;
  b.set_spout("src", []() -> std::unique_ptr<Spout> { throw std::runtime_error("no broker"); });
  EXPECT_THAT(build_problems(b), Contains(AllOf(HasSubstr("spout 'src'"), HasSubstr("no broker"))));
}

TEST(TopologyBuilderTest, PerComponentConfigurationIsKeptOnTheComponent) {
  TopologyBuilder b;
  b.set_spout("sentences", spout_of(default_stream({"sentence"}))).set_max_spout_pending(10);
  b.set_bolt("split", bolt_of())
      .shuffle_grouping("sentences")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 5)
      .add_configuration("split.min.length", 3);
  Topology t = b.build();
  EXPECT_EQ(t.find("sentences")->config.get_int(conf::kTopologyMaxSpoutPending), 10);
  EXPECT_EQ(t.find("split")->config.get_int(conf::kTopologyTickTupleFreqSecs), 5);
  EXPECT_EQ(t.find("split")->config.get_int("split.min.length"), 3);
}

TEST(TopologyBuilderTest, TopologyWideKeySetPerComponentIsRefused) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of())
      .shuffle_grouping("count")
      .add_configuration(conf::kTopologyWorkers, 2);
  EXPECT_THAT(build_problems(b),
              ElementsAre("component 'sink': 'topology.workers' applies to the whole topology "
                          "and cannot be set per component"));
}

TEST(TopologyBuilderTest, InvalidPerComponentValueIsRefusedNamingComponentAndKey) {
  TopologyBuilder b;
  add_word_count(b);
  b.set_bolt("sink", bolt_of())
      .shuffle_grouping("count")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, -1);
  EXPECT_THAT(build_problems(b),
              ElementsAre("component 'sink': topology.tick.tuple.freq.secs: expected an integer "
                          ">= 0, got int64 '-1'"));
}

TEST(TopologyBuilderTest, DeclarerOutsideABuilderThrowsOnBadConfiguration) {
  ComponentDef def;
  def.id = "loose";
  ComponentDeclarer declarer(def);
  EXPECT_EQ(message_of<InvalidTopology>([&] { declarer.add_configuration("topology.dbug", true); }),
            "component 'loose': unknown config key 'topology.dbug' (did you mean "
            "'topology.debug'?)");
}

TEST(TopologyBuilderTest, DeclarersStayValidWhileMoreComponentsAreAdded) {
  TopologyBuilder b;
  b.set_spout("sentences", spout_of(default_stream({"sentence"})));
  BoltDeclarer& first = b.set_bolt("first", bolt_of());
  for (int i = 0; i < 100; ++i) b.set_bolt("more" + std::to_string(i), bolt_of());
  first.shuffle_grouping("sentences").set_num_tasks(3);
  Topology t = b.build();
  EXPECT_EQ(t.find("first")->inputs.size(), 1u);
  EXPECT_EQ(t.find("first")->num_tasks, 3);
}

TEST(GroupingTest, EveryKindHasItsName) {
  using K = Grouping::Kind;
  EXPECT_STREQ(grouping_name(K::shuffle), "shuffle");
  EXPECT_STREQ(grouping_name(K::fields), "fields");
  EXPECT_STREQ(grouping_name(K::all), "all");
  EXPECT_STREQ(grouping_name(K::global), "global");
  EXPECT_STREQ(grouping_name(K::none), "none");
  EXPECT_STREQ(grouping_name(K::direct), "direct");
  EXPECT_STREQ(grouping_name(K::local_or_shuffle), "local_or_shuffle");
  EXPECT_STREQ(grouping_name(K::partial_key), "partial_key");
  EXPECT_STREQ(grouping_name(K::custom), "custom");
}

// ---- the BasicBolt adapter ----------------------------------------------------------------

// Records what a bolt does through its collector, in order.
class RecordingCollector : public OutputCollector {
 public:
  struct Emit {
    std::string stream;
    std::vector<const Tuple*> anchors;
    Values values;
    int direct_task;
  };

  void ack(const Tuple& input) override { log(input, "ack"); }
  void fail(const Tuple& input) override { log(input, "fail"); }
  void report_error(std::string_view message) override {
    events.push_back("error: " + std::string(message));
  }

  std::vector<Emit> emits;
  std::vector<std::string> events;
  const Tuple* verdict_on = nullptr;

 protected:
  void do_emit(std::string_view stream, std::span<const Tuple* const> anchors, const Values& values,
               int direct_task) override {
    emits.push_back({std::string(stream), {anchors.begin(), anchors.end()}, values, direct_task});
    events.push_back("emit");
  }

 private:
  void log(const Tuple& input, const char* verdict) {
    verdict_on = &input;
    events.push_back(verdict);
  }
};

class NoContext : public TopologyContext {
 public:
  const std::string& topology_name() const override { return empty_; }
  int this_task() const override { return 0; }
  const std::string& this_component() const override { return empty_; }
  int this_task_index() const override { return 0; }
  const std::vector<int>& component_tasks(std::string_view) const override { return tasks_; }
  const std::string& component_of(int) const override { return empty_; }
  const Fields& output_fields(std::string_view, std::string_view) const override { return fields_; }
  const std::vector<int>& worker_tasks() const override { return tasks_; }
  MetricGroup& metrics() const override { return metrics_; }
  const LiveSettings& settings() const override { return settings_; }

 private:
  LiveSettings settings_;
  class Unreported : public MetricGroup {
   public:
    Counter& counter(std::string_view, const MetricLabels&) override { return counter_; }
    Gauge& gauge(std::string_view, const MetricLabels&, GaugeCombine) override { return gauge_; }
    Histogram& histogram(std::string_view, const std::vector<double>&,
                         const MetricLabels&) override {
      return histogram_;
    }

   private:
    Counter counter_;
    Gauge gauge_;
    Histogram histogram_{{}};
  };
  std::string empty_;
  std::vector<int> tasks_;
  Fields fields_;
  mutable Unreported metrics_;
};

// A BasicBolt whose execute runs a function given by the test.
class ScriptedBolt : public BasicBolt {
 public:
  using Script = std::function<void(const Tuple&, BasicCollector&)>;
  ScriptedBolt(Script script, std::vector<std::string>& calls)
      : script_(std::move(script)), calls_(calls) {}

  void prepare(const Config&, TopologyContext&) override { calls_.push_back("prepare"); }
  void execute(const Tuple& input, BasicCollector& out) override { script_(input, out); }
  void cleanup() override { calls_.push_back("cleanup"); }

 private:
  Script script_;
  std::vector<std::string>& calls_;
};

class BasicBoltAdapterTest : public ::testing::Test {
 protected:
  // Executes `input_` once on an adapted ScriptedBolt running `script`.
  void execute(ScriptedBolt::Script script) {
    std::unique_ptr<Bolt> bolt =
        adapt_basic_bolt(std::make_unique<ScriptedBolt>(std::move(script), calls_));
    bolt->prepare(Config(), context_, collector_);
    bolt->execute(input_);
  }

  detail::StreamSchema schema_{"split", kDefaultStream, {"word"}};
  Tuple input_ = detail::TupleAccess::make(schema_, {"fox"});
  NoContext context_;
  RecordingCollector collector_;
  std::vector<std::string> calls_;
};

TEST_F(BasicBoltAdapterTest, EmitsAreAnchoredToTheInputWhichIsAckedAfterExecuteReturns) {
  execute([](const Tuple& in, BasicCollector& out) {
    out.emit({in.get(0)});
    out.emit("upper", {"FOX"});
  });
  EXPECT_THAT(collector_.events, ElementsAre("emit", "emit", "ack"));
  EXPECT_EQ(collector_.verdict_on, &input_);
  ASSERT_EQ(collector_.emits.size(), 2u);
  EXPECT_EQ(collector_.emits[0].stream, kDefaultStream);
  EXPECT_THAT(collector_.emits[0].anchors, ElementsAre(&input_));
  EXPECT_EQ(collector_.emits[0].values, (Values{"fox"}));
  EXPECT_EQ(collector_.emits[1].stream, "upper");
  EXPECT_THAT(collector_.emits[1].anchors, ElementsAre(&input_));
}

TEST_F(BasicBoltAdapterTest, DirectEmitIsAnchoredAndAddressedToTheTask) {
  execute([](const Tuple&, BasicCollector& out) { out.emit_direct(7, "targeted", {1}); });
  ASSERT_EQ(collector_.emits.size(), 1u);
  EXPECT_EQ(collector_.emits[0].direct_task, 7);
  EXPECT_EQ(collector_.emits[0].stream, "targeted");
  EXPECT_THAT(collector_.emits[0].anchors, ElementsAre(&input_));
}

TEST_F(BasicBoltAdapterTest, FailedExceptionFailsTheInputWithoutReportingAnError) {
  execute([](const Tuple&, BasicCollector&) { throw FailedException("retry later"); });
  EXPECT_THAT(collector_.events, ElementsAre("fail"));
  EXPECT_EQ(collector_.verdict_on, &input_);
}

TEST_F(BasicBoltAdapterTest, OtherExceptionIsReportedAndFailsTheInput) {
  execute([](const Tuple&, BasicCollector&) { throw std::runtime_error("redis down"); });
  EXPECT_THAT(collector_.events, ElementsAre("error: redis down", "fail"));
}

TEST_F(BasicBoltAdapterTest, EmitsBeforeAFailureAreKeptButTheInputIsFailedNotAcked) {
  execute([](const Tuple&, BasicCollector& out) {
    out.emit({"partial"});
    throw FailedException();
  });
  EXPECT_THAT(collector_.events, ElementsAre("emit", "fail"));
}

TEST_F(BasicBoltAdapterTest, PrepareAndCleanupReachTheBasicBolt) {
  std::unique_ptr<Bolt> bolt = adapt_basic_bolt(
      std::make_unique<ScriptedBolt>([](const Tuple&, BasicCollector&) {}, calls_));
  bolt->prepare(Config(), context_, collector_);
  bolt->cleanup();
  EXPECT_THAT(calls_, ElementsAre("prepare", "cleanup"));
}

TEST_F(BasicBoltAdapterTest, ReportErrorIsPassedOnAndTheInputIsStillAcked) {
  execute([](const Tuple&, BasicCollector& out) { out.report_error("odd input"); });
  EXPECT_THAT(collector_.events, ElementsAre("error: odd input", "ack"));
}

TEST(AdaptBasicBoltTest, NullBasicBoltGivesNullBolt) {
  EXPECT_EQ(adapt_basic_bolt(nullptr), nullptr);
}

}  // namespace
}  // namespace gale
