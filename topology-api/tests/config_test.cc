// Config: the validating setter, defaults, typed getters, merging, and the reference docs.
#include "gale/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gale/errors.h"
#include "test_support.h"

namespace gale {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Status = ConfigResult::Status;

TEST(ConfigTest, SchemaListsEveryKeyInDocumentationOrder) {
  std::vector<std::string> names;
  for (const ConfigKey& key : Config::schema()) names.push_back(key.name);
  EXPECT_THAT(
      names,
      ElementsAre(
          "topology.name", "topology.workers", "topology.acker.executors",
          "topology.max.spout.pending", "topology.message.timeout.secs",
          "topology.enable.message.timeouts", "topology.tick.tuple.freq.secs",
          "topology.tick.tuple.freq.ms", "topology.debug", "topology.debug.sample.rate",
          "topology.log.level", "topology.max.task.parallelism", "topology.producer.batch.size",
          "topology.batch.flush.interval.millis", "topology.executor.receive.buffer.size",
          "topology.stats.sample.rate", "topology.metrics.max.series",
          "topology.spout.wait.park.microsec", "topology.spout.wait.park.max.microsec",
          "topology.bolt.wait.park.microsec", "topology.wait.spin.count",
          "topology.wait.yield.count", "topology.chaining", "topology.worker.cpus",
          "topology.blobs.dir", "topology.users", "topology.state.checkpoint.interval.ms",
          "topology.state.checkpoint.timeout.ms", "topology.state.backend",
          "topology.state.full.every", "topology.state.checkpoints.retained",
          "topology.state.savepoint", "storm.zookeeper.servers", "storm.zookeeper.root",
          "storm.zookeeper.session.timeout", "storm.zookeeper.operation.timeout",
          "storm.zookeeper.auth.payload", "storm.local.dir", "nimbus.host", "nimbus.port",
          "nimbus.task.timeout.secs", "nimbus.monitor.freq.secs", "nimbus.max.request.bytes",
          "nimbus.max.connections", "nimbus.tls.cert.file", "nimbus.tls.key.file",
          "nimbus.requests.per.sec", "nimbus.audit.max.bytes", "nimbus.audit.max.files",
          "nimbus.client.timeout.secs", "nimbus.metrics.history.interval.secs",
          "nimbus.metrics.history.days", "nimbus.metrics.history.max.series",
          "nimbus.anomaly.no.throughput.secs", "nimbus.anomaly.failed.per.sec",
          "nimbus.anomaly.capacity", "nimbus.anomaly.capacity.secs",
          "nimbus.anomaly.kafka.lag.secs", "nimbus.anomaly.event.open.secs",
          "nimbus.anomaly.webhook.url", "nimbus.anomaly.webhook.ca.file",
          "nimbus.anomaly.webhook.token.file", "nimbus.ui.dir", "query.host", "query.port",
          "query.templates", "query.page.max.rows", "query.timeout.ms", "query.tls.cert.file",
          "query.tls.key.file", "supervisor.id", "supervisor.host", "supervisor.slots.ports",
          "supervisor.worker.user", "supervisor.logviewer.port", "supervisor.tls.cert.file",
          "supervisor.tls.key.file", "worker.heartbeat.frequency.secs", "security.enabled",
          "security.token", "security.token.file", "security.tls.ca.file"));
}

TEST(ConfigTest, EveryKeyHasADoc) {
  for (const ConfigKey& key : Config::schema()) EXPECT_FALSE(key.doc.empty()) << key.name;
}

TEST(ConfigTest, OnlyMaxPendingTicksDebugAndChainingMayBeSetPerComponent) {
  std::vector<std::string> per_component;
  for (const ConfigKey& key : Config::schema()) {
    if (key.per_component) per_component.push_back(key.name);
  }
  EXPECT_THAT(
      per_component,
      ElementsAre(conf::kTopologyMaxSpoutPending, conf::kTopologyTickTupleFreqSecs,
                  conf::kTopologyTickTupleFreqMs, conf::kTopologyDebug, conf::kTopologyChaining));
}

TEST(ConfigTest, UnsetKeysReadTheirDefaults) {
  Config c;
  EXPECT_EQ(c.get_int(conf::kTopologyWorkers), 1);
  EXPECT_EQ(c.get_int(conf::kTopologyMaxSpoutPending), 5000);
  EXPECT_EQ(c.get_int(conf::kTopologyMessageTimeoutSecs), 30);
  EXPECT_TRUE(c.get_bool(conf::kTopologyEnableMessageTimeouts));
  EXPECT_EQ(c.get_int(conf::kTopologyTickTupleFreqSecs, 99), 0);
  EXPECT_FALSE(c.get_bool(conf::kTopologyDebug, true));
  EXPECT_EQ(c.get_int(conf::kTopologyProducerBatchSize), 100);
  EXPECT_EQ(c.get_int(conf::kTopologyBatchFlushIntervalMillis), 1);
  EXPECT_EQ(c.get_int(conf::kTopologyExecutorReceiveBufferSize), 32768);
  EXPECT_EQ(c.get_double(conf::kTopologyStatsSampleRate), 0.05);
  EXPECT_EQ(c.get_int(conf::kTopologySpoutWaitParkMicrosec), 100);
  EXPECT_EQ(c.get_int(conf::kTopologySpoutWaitParkMaxMicrosec), 5000);
  EXPECT_EQ(c.get_int(conf::kTopologyBoltWaitParkMicrosec), 100);
  EXPECT_EQ(c.get_int(conf::kTopologyWaitSpinCount), 100);
  EXPECT_EQ(c.get_int(conf::kTopologyWaitYieldCount), 50);
  EXPECT_TRUE(c.get_bool(conf::kTopologyChaining));
}

TEST(ConfigTest, KeysWithoutDefaultReadNullOrTheFallback) {
  Config c;
  EXPECT_TRUE(c.get(conf::kTopologyAckerExecutors).is_null());
  EXPECT_EQ(c.get_int(conf::kTopologyAckerExecutors, -1), -1);
  EXPECT_EQ(c.get_int(conf::kTopologyMaxTaskParallelism, 8), 8);
  EXPECT_EQ(c.get_string(conf::kTopologyName, "unnamed"), "unnamed");
  EXPECT_TRUE(c.get("app.not.set").is_null());
}

TEST(ConfigTest, SetValueIsReadBackInsteadOfTheDefault) {
  Config c;
  ASSERT_TRUE(c.set(conf::kTopologyWorkers, "3"));
  ASSERT_TRUE(c.set(conf::kTopologyAckerExecutors, 0));
  EXPECT_EQ(c.get_int(conf::kTopologyWorkers), 3);
  EXPECT_EQ(c.get(conf::kTopologyWorkers), Value(3));
  EXPECT_EQ(c.get_int(conf::kTopologyAckerExecutors, -1), 0);
}

TEST(ConfigTest, ContainsOnlyExplicitlySetKeys) {
  Config c;
  EXPECT_FALSE(c.contains(conf::kTopologyWorkers));  // it has a default, but was not set
  ASSERT_TRUE(c.set(conf::kTopologyWorkers, 2));
  EXPECT_TRUE(c.contains(conf::kTopologyWorkers));
  EXPECT_THAT(c.entries(), ::testing::SizeIs(1));
}

TEST(ConfigTest, MisspeltKeyIsUnknownWithSuggestion) {
  Config c;
  ConfigResult r = c.set("topolgy.workers", "2");
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_FALSE(r);
  EXPECT_EQ(r.message, "unknown config key 'topolgy.workers' (did you mean 'topology.workers'?)");
  EXPECT_FALSE(c.contains("topolgy.workers"));
}

TEST(ConfigTest, TypedSetOfMisspeltKeyIsUnknownWithSuggestion) {
  ConfigResult r = Config().set("topology.debugg", true);
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_THAT(r.message, HasSubstr("did you mean 'topology.debug'?"));
}

TEST(ConfigTest, UnknownKeyFarFromAnyKnownOneHasNoSuggestion) {
  ConfigResult r = Config().set("topology.frobnication.level", "2");
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_THAT(r.message, HasSubstr("unknown config key 'topology.frobnication.level'"));
  EXPECT_THAT(r.message, Not(HasSubstr("did you mean")));
}

TEST(ConfigTest, EveryReservedPrefixRefusesUnknownKeys) {
  for (const char* key :
       {"topology.x", "worker.x", "supervisor.x", "nimbus.x", "storm.x", "gale.x"}) {
    EXPECT_EQ(Config().set(key, "1").status, Status::unknown) << key;
  }
}

TEST(ConfigTest, UserKeyFromTextIsStoredAsString) {
  Config c;
  ASSERT_TRUE(c.set("wordcount.min.length", "3"));
  EXPECT_EQ(c.get("wordcount.min.length"), Value("3"));
  EXPECT_TRUE(c.contains("wordcount.min.length"));
}

TEST(ConfigTest, UserKeyFromTypedValueIsStoredAsGiven) {
  Config c;
  ASSERT_TRUE(c.set("risk.threshold", 2.5));
  ASSERT_TRUE(c.set_value("risk.rules", Value(Bytes{1, 2})));
  EXPECT_EQ(c.get("risk.threshold"), Value(2.5));
  EXPECT_EQ(c.get("risk.rules"), Value(Bytes{1, 2}));
}

TEST(ConfigTest, KeyWithReservedWordsElsewhereIsAUserKey) {
  EXPECT_TRUE(Config().set("topologies.seen", "2"));
  EXPECT_TRUE(Config().set("wordcount.topology.workers", "2"));
}

TEST(ConfigTest, NonIntegerTextForIntKeyIsInvalid) {
  Config c;
  ConfigResult r = c.set(conf::kTopologyWorkers, "abc");
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_EQ(r.message, "topology.workers: expected an integer >= 1, got 'abc'");
  for (const char* text : {"", "3x", " 3", "3 ", "2.0", "0x10", "99999999999999999999"}) {
    EXPECT_EQ(c.set(conf::kTopologyWorkers, text).status, Status::invalid) << "'" << text << "'";
  }
  EXPECT_FALSE(c.contains(conf::kTopologyWorkers));
}

TEST(ConfigTest, IntBelowMinimumIsInvalid) {
  ConfigResult r = Config().set(conf::kTopologyWorkers, "0");
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_EQ(r.message, "topology.workers: expected an integer >= 1, got '0'");
}

TEST(ConfigTest, IntAboveMaximumIsInvalid) {
  ConfigResult r = Config().set(conf::kTopologyProducerBatchSize, "10001");
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_EQ(r.message,
            "topology.producer.batch.size: expected an integer between 1 and 10000, got '10001'");
  EXPECT_TRUE(Config().set(conf::kTopologyProducerBatchSize, "10000"));
}

TEST(ConfigTest, NegativeIntTextIsParsed) {
  ConfigResult r = Config().set(conf::kTopologyMaxSpoutPending, "-1");
  EXPECT_EQ(r.message, "topology.max.spout.pending: expected an integer >= 0, got '-1'");
}

TEST(ConfigTest, DoubleOutOfRangeIsInvalid) {
  ConfigResult r = Config().set(conf::kTopologyStatsSampleRate, "2");
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_EQ(r.message, "topology.stats.sample.rate: expected a number between 0 and 1, got '2'");
}

TEST(ConfigTest, DoubleKeyParsesDecimalTextAndRefusesNonNumbers) {
  Config c;
  ASSERT_TRUE(c.set(conf::kTopologyStatsSampleRate, "0.25"));
  EXPECT_EQ(c.get_double(conf::kTopologyStatsSampleRate), 0.25);
  for (const char* text : {"nan", "inf", "half", "0.5s", ""}) {
    EXPECT_EQ(c.set(conf::kTopologyStatsSampleRate, text).status, Status::invalid) << text;
  }
}

TEST(ConfigTest, BoolAcceptsTrueFalseOneZeroYesNoInAnyCase) {
  Config c;
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes"}) {
    ASSERT_TRUE(c.set(conf::kTopologyDebug, yes)) << yes;
    EXPECT_TRUE(c.get_bool(conf::kTopologyDebug)) << yes;
  }
  for (const char* no : {"false", "False", "0", "no", "NO"}) {
    ASSERT_TRUE(c.set(conf::kTopologyDebug, no)) << no;
    EXPECT_FALSE(c.get_bool(conf::kTopologyDebug)) << no;
  }
}

TEST(ConfigTest, BoolRefusesOtherText) {
  ConfigResult r = Config().set(conf::kTopologyDebug, "maybe");
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_EQ(r.message, "topology.debug: expected true or false, got 'maybe'");
}

TEST(ConfigTest, StringKeyStoresTextAsIs) {
  Config c;
  ASSERT_TRUE(c.set(conf::kTopologyName, "risk-alert 2"));
  EXPECT_EQ(c.get(conf::kTopologyName), Value("risk-alert 2"));
}

TEST(ConfigTest, TypedValueOfWrongTypeIsInvalidAndNamesItsType) {
  Config c;
  ConfigResult r = c.set_value(conf::kTopologyWorkers, Value("3"));
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_EQ(r.message, "topology.workers: expected an integer >= 1, got string '3'");
  EXPECT_EQ(c.set(conf::kTopologyDebug, 1).status, Status::invalid);
  EXPECT_EQ(c.set(conf::kTopologyWorkers, 2.0).status, Status::invalid);
  EXPECT_EQ(c.set_value(conf::kTopologyName, Value(5)).status, Status::invalid);
}

TEST(ConfigTest, TypedValueOutOfRangeIsInvalid) {
  ConfigResult r = Config().set(conf::kTopologyWorkers, 0);
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_EQ(r.message, "topology.workers: expected an integer >= 1, got int64 '0'");
  EXPECT_EQ(Config().set(conf::kTopologyStatsSampleRate, -0.5).status, Status::invalid);
}

TEST(ConfigTest, IntForDoubleKeyIsStoredAsDouble) {
  Config c;
  ASSERT_TRUE(c.set(conf::kTopologyStatsSampleRate, 1));
  EXPECT_TRUE(c.get(conf::kTopologyStatsSampleRate).is_double());
  EXPECT_EQ(c.get_double(conf::kTopologyStatsSampleRate), 1.0);
}

TEST(ConfigTest, RefusedValueKeepsThePreviousOne) {
  Config c;
  ASSERT_TRUE(c.set(conf::kTopologyWorkers, 4));
  EXPECT_FALSE(c.set(conf::kTopologyWorkers, "four"));
  EXPECT_FALSE(c.set(conf::kTopologyWorkers, -4));
  EXPECT_EQ(c.get_int(conf::kTopologyWorkers), 4);
}

TEST(ConfigTest, TypedGettersParseUserKeysSetFromText) {
  Config c;
  ASSERT_TRUE(c.set("app.count", "12"));
  ASSERT_TRUE(c.set("app.rate", "0.5"));
  ASSERT_TRUE(c.set("app.on", "yes"));
  EXPECT_EQ(c.get_int("app.count"), 12);
  EXPECT_EQ(c.get_double("app.rate"), 0.5);
  EXPECT_TRUE(c.get_bool("app.on"));
}

TEST(ConfigTest, TypedGetterOfUnconvertibleValueThrowsNamingTheKey) {
  Config c;
  ASSERT_TRUE(c.set("app.count", "twelve"));
  EXPECT_EQ(message_of<TypeError>([&] { c.get_int("app.count"); }),
            "config key 'app.count': expected int64, got string 'twelve'");
}

TEST(ConfigTest, GetStringOfNonStringGivesItsTextForm) {
  Config c;
  ASSERT_TRUE(c.set("app.limit", 250));
  EXPECT_EQ(c.get_string("app.limit"), "250");
  EXPECT_EQ(c.get_string(conf::kTopologyDebug), "false");
}

TEST(ConfigTest, MergedSetsOverOnTopAndKeepsTheRest) {
  Config base;
  ASSERT_TRUE(base.set(conf::kTopologyWorkers, 2));
  ASSERT_TRUE(base.set("app.mode", "batch"));
  Config over;
  ASSERT_TRUE(over.set(conf::kTopologyWorkers, 5));
  ASSERT_TRUE(over.set(conf::kTopologyDebug, true));

  Config m = base.merged(over);
  EXPECT_EQ(m.get_int(conf::kTopologyWorkers), 5);
  EXPECT_TRUE(m.get_bool(conf::kTopologyDebug));
  EXPECT_EQ(m.get_string("app.mode"), "batch");
  EXPECT_EQ(base.get_int(conf::kTopologyWorkers), 2);  // the original is untouched
}

TEST(ConfigTest, FindKeyGivesTheSchemaEntryOrNull) {
  const ConfigKey* key = Config::find_key(conf::kTopologyExecutorReceiveBufferSize);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->type, Value::Type::int64);
  EXPECT_EQ(key->default_value, Value(32768));
  EXPECT_EQ(key->min, 64);
  EXPECT_EQ(key->max, 16777216);
  EXPECT_EQ(Config::find_key("wordcount.min.length"), nullptr);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConfigDocsTest, EveryKeyIsDocumentedInConfigurationMd) {
  std::string docs = read_file(GALE_SOURCE_DIR "/docs/CONFIGURATION.md");
  ASSERT_FALSE(docs.empty()) << "cannot read docs/CONFIGURATION.md";
  for (const ConfigKey& key : Config::schema()) {
    EXPECT_THAT(docs, HasSubstr("`" + key.name + "`")) << key.name << " is not documented";
  }
}

}  // namespace
}  // namespace gale
