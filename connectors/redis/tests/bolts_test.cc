// RedisStoreBolt and RedisLookupBolt in a LocalCluster against a real redis-server, including
// a Redis outage in the middle of a stream.
#include "gale/redis/bolts.h"

#include <gtest/gtest.h>

#include <atomic>

#include "gale/testing/redis_server.h"
#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using redis::Command;
using redis::Reply;

Config redis_config(const RedisServer& server, int batch_size) {
  Config config = test_config();
  EXPECT_TRUE(config.set(redis::conf::kPort, server.port()));
  EXPECT_TRUE(config.set(redis::conf::kBatchSize, batch_size));
  EXPECT_TRUE(config.set(redis::conf::kTimeoutMs, 500));
  EXPECT_TRUE(config.set(redis::conf::kReconnectBackoffMaxMs, 200));
  return config;
}

// item:<id> = value:<id>, and <id> into the set "items".
std::vector<Command> store_item(const Tuple& input) {
  std::string id = redis::to_arg(input.get("id"));
  return {{"SET", "item:" + id, "value:" + id}, {"SADD", "items", id}};
}

BoltFactory item_store() {
  return [] { return std::make_unique<redis::RedisStoreBolt>(store_item); };
}

// Checks that Redis holds item 0..count-1 exactly as store_item writes them.
void expect_items_stored(const RedisServer& server, std::int64_t count) {
  redis::ConnectionOptions options;
  options.port = server.port();
  redis::RedisClient client(options);
  std::vector<Command> commands{{"SCARD", "items"}};
  for (std::int64_t i = 0; i < count; ++i) commands.push_back({"GET", "item:" + std::to_string(i)});
  auto replies = client.pipeline(commands);
  ASSERT_TRUE(replies) << replies.error().message;
  EXPECT_EQ(replies.value()[0].integer, count) << "items stored";
  for (std::int64_t i = 0; i < count; ++i) {
    ASSERT_EQ(replies.value()[i + 1].str, "value:" + std::to_string(i)) << "item " << i;
  }
}

std::string errors_of(const runtime::LocalCluster& cluster, const std::string& component) {
  runtime::TopologyStats stats = cluster.stats();
  std::string all;
  for (const auto& e : stats.find(component)->last_errors) all += e + "\n";
  return all;
}

TEST(RedisStoreBoltTest, StoresEveryTupleInBatchesAndAcksEach) {
  RedisServer server;
  auto probe = std::make_shared<Probe>();
  const std::int64_t n = 1000;  // not a multiple of the batch: the last one leaves on a tick
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, n));
  b.set_bolt("store", item_store(), 2)
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  runtime::LocalCluster cluster("store", b.build(), redis_config(server, 64));
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == n; }, 20s))
      << probe->acked_count() << " of " << n << " acked";
  EXPECT_EQ(probe->failed_count(), 0);
  expect_items_stored(server, n);
}

TEST(RedisStoreBoltTest, AnErrorReplyFailsOnlyItsInputAndIsReported) {
  RedisServer server;
  redis::ConnectionOptions options;
  options.port = server.port();
  redis::RedisClient client(options);
  ASSERT_TRUE(client.command({"SET", "hash:5", "not a hash"}));
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 10, false));
  b.set_bolt("store",
             [] {
               return std::make_unique<redis::RedisStoreBolt>([](const Tuple& t) {
                 return std::vector<Command>{{"HSET", "hash:" + redis::to_arg(t.get(0)), "f", "v"}};
               });
             })
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  runtime::LocalCluster cluster("store-error", b.build(), redis_config(server, 64));
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() + probe->failed_count() == 10; }));
  EXPECT_EQ(probe->acked_count(), 9);
  EXPECT_EQ(probe->with([&] { return probe->failed; }), (std::map<MessageId, int>{{5, 1}}));
  EXPECT_NE(errors_of(cluster, "store").find("HSET got WRONGTYPE"), std::string::npos)
      << errors_of(cluster, "store");
}

TEST(RedisStoreBoltTest, BatchingWithoutTickTuplesIsRefusedAtPrepare) {
  RedisServer server;
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 1));
  b.set_bolt("store", item_store()).shuffle_grouping("spout");
  runtime::LocalCluster cluster("store-no-tick", b.build(), redis_config(server, 64));
  try {
    cluster.start();
    FAIL() << "a batching bolt without tick tuples started";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("redis.batch.size is 64 but this component has no "
                                         "topology.tick.tuple.freq.ms or "
                                         "topology.tick.tuple.freq.secs"),
              std::string::npos)
        << e.what();
  }
}

TEST(RedisLookupBoltTest, EnrichesEachInputWithWhatRedisHolds) {
  RedisServer server;
  redis::ConnectionOptions options;
  options.port = server.port();
  redis::RedisClient client(options);
  std::vector<Command> customers;
  for (int i = 0; i < 100; i += 2) {
    customers.push_back({"HSET", "customer:" + std::to_string(i), "name",
                         "name-" + std::to_string(i), "tier", i % 4 == 0 ? "gold" : "silver"});
  }
  ASSERT_TRUE(client.pipeline(customers));

  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 100));
  b.set_bolt("lookup",
             [] {
               return std::make_unique<redis::RedisLookupBolt>(
                   [](const Tuple& t) {
                     return Command{"HGETALL", "customer:" + redis::to_arg(t.get("id"))};
                   },
                   [](const Tuple& t, const Reply& reply) {
                     auto fields = redis::field_map(reply);
                     if (fields.empty())
                       return std::vector<Values>{};  // unknown customer: nothing to emit
                     return std::vector<Values>{{t.get("id"), fields["name"], fields["tier"]}};
                   },
                   Fields{"id", "name", "tier"});
             })
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  b.set_bolt("sink", bolt_of<RecordingBolt>(probe)).shuffle_grouping("lookup");
  runtime::LocalCluster cluster("lookup", b.build(), redis_config(server, 16));
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 100; }, 20s)) << probe->acked_count();

  std::vector<Values> got = probe->with([&] {
    std::vector<Values> all;
    for (auto& [task, values] : probe->received)
      all.insert(all.end(), values.begin(), values.end());
    return all;
  });
  ASSERT_EQ(got.size(), 50u) << "one tuple per known customer";
  for (const Values& v : got) {
    std::int64_t id = v[0].as_int();
    EXPECT_EQ(id % 2, 0) << "an unknown customer was emitted";
    EXPECT_EQ(v[1], Value("name-" + std::to_string(id)));
    EXPECT_EQ(v[2], Value(id % 4 == 0 ? "gold" : "silver"));
  }
}

// Inputs leave together, as one pipeline, when the batch is full or a tick comes; time is
// manual here, so nothing else can flush them.
TEST(RedisStoreBoltTest, InputsWaitForAFullBatchOrATick) {
  RedisServer server;
  auto probe = std::make_shared<Probe>();
  auto limit = std::make_shared<std::atomic<std::int64_t>>(10);
  auto clock = std::make_shared<ManualClock>();
  TopologyBuilder b;
  b.set_spout("spout", [=] { return std::make_unique<GatedSpout>(probe, limit); });
  b.set_bolt("store", item_store())
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  Config config = redis_config(server, 64);
  ASSERT_TRUE(config.set(redis::conf::kFlushIntervalMs, 600'000));
  runtime::LocalCluster cluster("batches", b.build(), config, clock);
  cluster.start();

  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(probe->acked_count(), 0) << "a partial batch left without a tick";
  limit->store(74);  // the 64th input completes the batch; 10 wait again
  ASSERT_TRUE(eventually([&] { return probe->acked_count() >= 64; }));
  ASSERT_TRUE(cluster.wait_idle(5s));
  EXPECT_EQ(probe->acked_count(), 64);
  clock->advance(1s);
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 74; })) << probe->acked_count();
  expect_items_stored(server, 74);
}

TEST(RedisStoreBoltTest, AnOutageFailsTuplesForReplayAndNothingIsLostAfterRestart) {
  RedisServer server;
  auto probe = std::make_shared<Probe>();
  auto limit = std::make_shared<std::atomic<std::int64_t>>(1000);
  TopologyBuilder b;
  b.set_spout("spout", [=] { return std::make_unique<GatedSpout>(probe, limit); });
  b.set_bolt("store", item_store(), 2)
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  runtime::LocalCluster cluster("outage", b.build(), redis_config(server, 32));
  cluster.start();
  auto distinct_acked = [&] {
    return static_cast<std::int64_t>(probe->with([&] { return probe->acked.size(); }));
  };

  // Stop Redis while the stream runs, keeping what it stored so the final count covers both
  // sides of the outage; then release more input, which can only meet the outage.
  ASSERT_TRUE(eventually([&] { return distinct_acked() >= 300; }, 20s)) << distinct_acked();
  server.stop_keeping_data();
  limit->store(2000);
  ASSERT_TRUE(eventually([&] { return probe->failed_count() > 0; }, 20s))
      << "no tuple failed while Redis was down\n"
      << runtime::format_stats(cluster.stats());
  EXPECT_NE(errors_of(cluster, "store").find("redis 127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << "the outage was not reported: " << errors_of(cluster, "store");
  EXPECT_LT(distinct_acked(), 2000);

  server.restart();
  ASSERT_TRUE(eventually([&] { return distinct_acked() == 2000; }, 30s))
      << distinct_acked() << " of 2000 acked after Redis came back";
  expect_items_stored(server, 2000);
}

TEST(RedisStoreBoltTest, AHungRedisTimesOutFailsTuplesAndNothingIsLostWhenItAnswersAgain) {
  RedisServer server;
  auto probe = std::make_shared<Probe>();
  auto limit = std::make_shared<std::atomic<std::int64_t>>(300);
  TopologyBuilder b;
  b.set_spout("spout", [=] { return std::make_unique<GatedSpout>(probe, limit); });
  b.set_bolt("store", item_store(), 2)
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  runtime::LocalCluster cluster("hung", b.build(), redis_config(server, 32));
  cluster.start();
  auto distinct_acked = [&] {
    return static_cast<std::int64_t>(probe->with([&] { return probe->acked.size(); }));
  };
  ASSERT_TRUE(eventually([&] { return distinct_acked() == 300; }, 20s)) << distinct_acked();

  // Connections stay open and the port taken, but nothing is answered: each batch waits out
  // redis.timeout.ms, and what it wrote may still run when Redis wakes up.
  server.pause();
  limit->store(600);
  ASSERT_TRUE(eventually([&] { return probe->failed_count() > 0; }, 20s))
      << "no tuple failed while Redis hung\n"
      << runtime::format_stats(cluster.stats());
  EXPECT_NE(errors_of(cluster, "store").find("no reply within 500 ms"), std::string::npos)
      << errors_of(cluster, "store");
  server.resume();
  ASSERT_TRUE(eventually([&] { return distinct_acked() == 600; }, 30s))
      << distinct_acked() << " of 600 acked after Redis answered again";
  expect_items_stored(server, 600);
}

}  // namespace
}  // namespace gale::testing
