// PostgresUpsertBolt and PostgresLookupBolt in a LocalCluster against a real PostgreSQL server,
// including an outage in the middle of a stream.
#include "gale/postgres/bolts.h"

#include <gtest/gtest.h>

#include <atomic>

#include "gale/testing/postgres_server.h"
#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

Config postgres_config(const PostgresServer& server, int batch_size) {
  Config config = test_config();
  EXPECT_TRUE(config.set(postgres::conf::kPort, server.port()));
  EXPECT_TRUE(config.set(postgres::conf::kUser, PostgresServer::user()));
  EXPECT_TRUE(config.set(postgres::conf::kPassword, server.password()));
  EXPECT_TRUE(config.set(postgres::conf::kBatchSize, batch_size));
  EXPECT_TRUE(config.set(postgres::conf::kTimeoutMs, 1000));
  EXPECT_TRUE(config.set(postgres::conf::kReconnectBackoffMaxMs, 200));
  return config;
}

// Rows of `table` (id bigint key, label text, version bigint) from the spout's ids.
Config item_mapping(Config config, const std::string& table) {
  EXPECT_TRUE(config.set(postgres::conf::kUpsertTable, table));
  EXPECT_TRUE(config.set(postgres::conf::kUpsertColumns, "id, label, version=id"));
  EXPECT_TRUE(config.set(postgres::conf::kUpsertKey, "id"));
  EXPECT_TRUE(config.set(postgres::conf::kUpsertVersion, "version"));
  return config;
}

// The spout's ids, with a label, as an upsert's input.
class Labeller : public Bolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void execute(const Tuple& input) override {
    std::int64_t id = input.get(0).as_int();
    out_->emit(input, {id, "item " + std::to_string(id)});
    out_->ack(input);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"id", "label"}); }

 private:
  OutputCollector* out_ = nullptr;
};

BoltFactory upsert() {
  return [] { return std::make_unique<postgres::PostgresUpsertBolt>(); };
}

std::string errors_of(const runtime::LocalCluster& cluster, const std::string& component) {
  runtime::TopologyStats stats = cluster.stats();
  std::string all;
  for (const auto& e : stats.find(component)->last_errors) all += e + "\n";
  return all;
}

std::string start_error(runtime::LocalCluster& cluster) {
  try {
    cluster.start();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

class PostgresBoltTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new PostgresServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static PostgresServer* server_;
};
PostgresServer* PostgresBoltTest::server_ = nullptr;

TEST_F(PostgresBoltTest, UpsertsEveryTupleInTransactionsAndAcksEachAfterCommit) {
  server_->execute(
      "CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL, version bigint)");
  auto probe = std::make_shared<Probe>();
  const std::int64_t n = 1000;  // not a multiple of the batch: the last one leaves on a tick
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, n));
  b.set_bolt("label", [] { return std::make_unique<Labeller>(); }).shuffle_grouping("spout");
  b.set_bolt("store", upsert(), 2)
      .fields_grouping("label", {"id"})
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  runtime::LocalCluster cluster("pg-store", b.build(),
                                item_mapping(postgres_config(*server_, 64), "items"));
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == n; }, 20s))
      << probe->acked_count() << " of " << n << " acked";
  EXPECT_EQ(probe->failed_count(), 0);
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM items"), "1000");
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM items WHERE label = 'item ' || id"), "1000");
}

TEST_F(PostgresBoltTest, AnOlderVersionNeverOverwritesANewerOne) {
  server_->execute("CREATE TABLE balances (account text PRIMARY KEY, amount numeric, pos bigint)");
  // account a: versions 5, 3 (a replay of an older change), 7; b: 2, 2 (a redelivery).
  struct Change {
    const char* account;
    const char* amount;
    std::int64_t pos;
  };
  static const std::vector<Change> changes = {
      {"a", "50.00", 5}, {"a", "30.00", 3}, {"b", "2.50", 2}, {"a", "70.10", 7}, {"b", "2.50", 2}};
  class ChangeSpout : public Spout {
   public:
    explicit ChangeSpout(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}
    void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
    void next_tuple() override {
      if (next_ >= changes.size()) return;
      const Change& c = changes[next_];
      out_->emit({c.account, c.amount, c.pos}, next_++);
    }
    void ack(MessageId id) override {
      probe_->with([&] { return ++probe_->acked[id]; });
    }
    void declare_outputs(OutputDeclarer& d) const override {
      d.declare({"account", "amount", "pos"});
    }

   private:
    std::shared_ptr<Probe> probe_;
    SpoutCollector* out_ = nullptr;
    std::size_t next_ = 0;
  };
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", [=] { return std::make_unique<ChangeSpout>(probe); });
  b.set_bolt("store", upsert()).shuffle_grouping("spout");
  Config config = postgres_config(*server_, 1);
  ASSERT_TRUE(config.set(postgres::conf::kUpsertTable, "public.balances"));
  ASSERT_TRUE(config.set(postgres::conf::kUpsertColumns, "account,amount,pos"));
  ASSERT_TRUE(config.set(postgres::conf::kUpsertKey, "account"));
  ASSERT_TRUE(config.set(postgres::conf::kUpsertVersion, "pos"));
  runtime::LocalCluster cluster("pg-versions", b.build(), config);
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 5; }, 20s));
  EXPECT_EQ(server_->query("SELECT account, amount, pos FROM balances ORDER BY account"),
            (PostgresServer::Rows{{"a", "70.10", "7"}, {"b", "2.50", "2"}}));
}

TEST_F(PostgresBoltTest, ARefusedRowFailsOnlyItsInputAndIsReported) {
  server_->execute(
      "CREATE TABLE checked (id bigint PRIMARY KEY, label text, version bigint CHECK (version "
      "<> 5))");
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 10, false));
  b.set_bolt("label", [] { return std::make_unique<Labeller>(); }).shuffle_grouping("spout");
  b.set_bolt("store", upsert())
      .shuffle_grouping("label")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  runtime::LocalCluster cluster("pg-refused", b.build(),
                                item_mapping(postgres_config(*server_, 64), "checked"));
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() + probe->failed_count() == 10; }, 20s));
  EXPECT_EQ(probe->acked_count(), 9);
  EXPECT_EQ(probe->with([&] { return probe->failed; }), (std::map<MessageId, int>{{5, 1}}));
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM checked"), "9") << "the others were written";
  EXPECT_NE(errors_of(cluster, "store").find("checked_version_check"), std::string::npos)
      << errors_of(cluster, "store");
}

TEST_F(PostgresBoltTest, AMappingThatDoesNotFitItsTableIsRefusedAtStartNamingWhy) {
  server_->execute("CREATE TABLE nokey (id bigint, label text, version bigint)");
  server_->execute("CREATE TABLE fits (id bigint PRIMARY KEY, label text, version bigint)");
  auto start_with = [&](const std::string& table, const std::string& columns) {
    auto probe = std::make_shared<Probe>();
    TopologyBuilder b;
    b.set_spout("spout", spout_of<CountingSpout>(probe, 1));
    b.set_bolt("label", [] { return std::make_unique<Labeller>(); }).shuffle_grouping("spout");
    b.set_bolt("store", upsert()).shuffle_grouping("label");
    Config config = item_mapping(postgres_config(*server_, 1), table);
    EXPECT_TRUE(config.set(postgres::conf::kUpsertColumns, columns));
    runtime::LocalCluster cluster("pg-refused-" + table, b.build(), config);
    return start_error(cluster);
  };
  std::string missing = start_with("absent", "id, label, version=id");
  EXPECT_NE(missing.find("postgres.upsert.table: table absent does not exist"), std::string::npos)
      << missing;
  std::string column = start_with("fits", "id, label, colour, version=id");
  EXPECT_NE(column.find("table fits has no column colour (it has id, label, version)"),
            std::string::npos)
      << column;
  std::string key = start_with("nokey", "id, label, version=id");
  EXPECT_NE(key.find("postgres.upsert.key (id) does not fit table nokey"), std::string::npos)
      << key;
  EXPECT_NE(key.find("it has no unique index on exactly these columns"), std::string::npos) << key;
}

TEST_F(PostgresBoltTest, BatchingWithoutTickTuplesIsRefusedAtPrepare) {
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 1));
  b.set_bolt("store", upsert()).shuffle_grouping("spout");
  runtime::LocalCluster cluster("pg-no-tick", b.build(),
                                item_mapping(postgres_config(*server_, 64), "items"));
  std::string error = start_error(cluster);
  EXPECT_NE(error.find("postgres.batch.size is 64 but this component has no "
                       "topology.tick.tuple.freq.ms or topology.tick.tuple.freq.secs"),
            std::string::npos)
      << error;
}

TEST_F(PostgresBoltTest, TheLookupBoltEnrichesKnownKeysAndEmitsNothingForUnknownOnes) {
  server_->execute("CREATE TABLE customers (id bigint PRIMARY KEY, phone text)");
  server_->execute("INSERT INTO customers SELECT g, '+86-' || g FROM generate_series(0, 9, 2) g");
  auto probe = std::make_shared<Probe>();
  TopologyBuilder b;
  b.set_spout("spout", spout_of<CountingSpout>(probe, 10));
  b.set_bolt("lookup",
             [] {
               return std::make_unique<postgres::PostgresLookupBolt>(
                   "SELECT phone FROM customers WHERE id = $1",
                   [](const Tuple& t) {
                     return std::vector<postgres::Param>{postgres::to_param(t.get(0))};
                   },
                   [](const Tuple& t, const postgres::QueryResult& r) {
                     std::vector<Values> out;
                     for (const auto& row : r.rows) out.push_back({t.get(0), *row.at(0)});
                     return out;
                   },
                   Fields{"id", "phone"});
             })
      .shuffle_grouping("spout")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  b.set_bolt("sink", bolt_of<RecordingBolt>(probe)).shuffle_grouping("lookup");
  runtime::LocalCluster cluster("pg-lookup", b.build(), postgres_config(*server_, 4));
  cluster.start();
  ASSERT_TRUE(eventually([&] { return probe->acked_count() == 10; }, 20s));
  std::vector<Values> seen;
  probe->with([&] {
    for (auto& [task, values] : probe->received)
      seen.insert(seen.end(), values.begin(), values.end());
  });
  ASSERT_EQ(seen.size(), 5u) << "the even ids only";
  for (const Values& v : seen) {
    EXPECT_EQ(v.at(0).as_int() % 2, 0);
    EXPECT_EQ(v.at(1).as_string(), "+86-" + std::to_string(v.at(0).as_int()));
  }
}

TEST(PostgresBoltOutageTest, AnOutageFailsTuplesForReplayAndNothingIsLostAfterRestart) {
  PostgresServer server;
  server.execute("CREATE TABLE items (id bigint PRIMARY KEY, label text, version bigint)");
  auto probe = std::make_shared<Probe>();
  auto limit = std::make_shared<std::atomic<std::int64_t>>(1000);
  TopologyBuilder b;
  b.set_spout("spout", [=] { return std::make_unique<GatedSpout>(probe, limit); });
  b.set_bolt("label", [] { return std::make_unique<Labeller>(); }).shuffle_grouping("spout");
  b.set_bolt("store", upsert(), 2)
      .shuffle_grouping("label")
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  runtime::LocalCluster cluster("pg-outage", b.build(),
                                item_mapping(postgres_config(server, 32), "items"));
  cluster.start();
  auto distinct_acked = [&] {
    return static_cast<std::int64_t>(probe->with([&] { return probe->acked.size(); }));
  };
  ASSERT_TRUE(eventually([&] { return distinct_acked() >= 300; }, 20s)) << distinct_acked();
  server.stop();
  limit->store(2000);
  ASSERT_TRUE(eventually([&] { return probe->failed_count() > 0; }, 20s))
      << "no tuple failed while PostgreSQL was down\n"
      << runtime::format_stats(cluster.stats());
  EXPECT_NE(errors_of(cluster, "store").find("127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << "the outage was not reported: " << errors_of(cluster, "store");
  EXPECT_LT(distinct_acked(), 2000);
  server.restart();
  ASSERT_TRUE(eventually([&] { return distinct_acked() == 2000; }, 40s))
      << distinct_acked() << " of 2000 acked after PostgreSQL came back";
  EXPECT_EQ(server.scalar("SELECT count(*) FROM items"), "2000");
}

}  // namespace
}  // namespace gale::testing
