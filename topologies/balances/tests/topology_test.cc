// The balances topology (.so) in a LocalCluster against a real PostgreSQL and Redis: for each
// CDC format, a generated core banking log with redeliveries gives exactly gale-gen's manifest
// per account and per institution, in PostgreSQL and in Redis's hot totals.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gale/balances/ledger.h"
#include "gale/events/core_banking.h"
#include "gale/redis/client.h"
#include "gale/runtime/local_cluster.h"
#include "gale/runtime/topology_loader.h"
#include "gale/testing/postgres_server.h"
#include "gale/testing/redis_server.h"
#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;

std::string schema_sql() {
  std::ifstream in(GALE_BALANCES_SCHEMA);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class BalancesTopology : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { postgres_ = new PostgresServer(); }
  static void TearDownTestSuite() {
    delete postgres_;
    postgres_ = nullptr;
  }
  void SetUp() override {
    postgres_->execute("DROP SCHEMA IF EXISTS balances CASCADE");
    postgres_->execute(schema_sql());
  }

  Config config(std::int64_t records) {
    Config c = test_config();
    EXPECT_TRUE(c.set("balances.source", "sample"));
    EXPECT_TRUE(c.set("balances.format", GetParam()));
    EXPECT_TRUE(c.set("balances.sample.records", records));
    EXPECT_TRUE(c.set("balances.sample.accounts", 150));
    EXPECT_TRUE(c.set("balances.sample.duplicates.percent", 5));
    EXPECT_TRUE(c.set("postgres.port", postgres_->port()));
    EXPECT_TRUE(c.set("postgres.password", postgres_->password()));
    EXPECT_TRUE(c.set("postgres.batch.size", 50));
    EXPECT_TRUE(c.set("balances.redis", true));
    EXPECT_TRUE(c.set("redis.port", redis_.port()));
    return c;
  }

  static PostgresServer* postgres_;
  RedisServer redis_;
};
PostgresServer* BalancesTopology::postgres_ = nullptr;

TEST_P(BalancesTopology, AGeneratedLogWithRedeliveriesGivesExactlyTheManifest) {
  const std::int64_t records = 3000;
  Config conf = config(records);
  auto loaded = runtime::load_topology(GALE_BALANCES_SO, conf);
  ASSERT_TRUE(loaded) << loaded.error().message;
  runtime::LocalCluster cluster("balances", loaded.value().topology, conf);
  cluster.start();
  ASSERT_TRUE(eventually(
      [&] { return cluster.stats().find("log")->acked == static_cast<std::uint64_t>(records); },
      60s))
      << runtime::format_stats(cluster.stats());

  // The same options give the same log: its manifest is what the tables must hold.
  events::CoreBankingOptions options;
  options.seed = 7;
  options.accounts = 150;
  options.duplicates = 0.05;
  auto format = GetParam() == "debezium" ? events::CdcFormat::debezium
                : GetParam() == "canal"  ? events::CdcFormat::canal
                                         : events::CdcFormat::maxwell;
  events::CoreBankingGenerator generator(options, format);
  for (std::int64_t i = 0; i < records; ++i) generator.next();
  events::CoreBankingManifest manifest = generator.manifest();
  ASSERT_GT(manifest.duplicates, 0) << "the log redelivers some changes";

  PostgresServer::Rows open = postgres_->query(
      "SELECT account_id, (balance * 100)::bigint FROM balances.account_balance WHERE open "
      "ORDER BY account_id");
  ASSERT_EQ(open.size(), manifest.accounts.size());
  for (const auto& row : open)
    ASSERT_EQ(std::stoll(*row.at(1)), manifest.accounts.at(*row.at(0))) << *row.at(0);
  std::map<std::string, std::map<std::string, std::int64_t>> institutions;
  for (const auto& row : postgres_->query(
           "SELECT institution_id, currency, (total * 100)::bigint FROM balances.by_institution "
           "WHERE accounts > 0"))
    institutions[*row.at(0)][*row.at(1)] = std::stoll(*row.at(2));
  EXPECT_EQ(institutions, manifest.institutions);
  EXPECT_EQ(postgres_->scalar("SELECT count(*) FROM balances.dead_letter"), "0");
  PostgresServer::Rows off = postgres_->query(
      "SELECT t.branch_id, t.currency, t.product, t.total, t.accounts, s.total, s.accounts FROM "
      "balances.balance_total t LEFT JOIN (SELECT branch_id, currency, product, sum(balance) AS "
      "total, count(*) AS accounts FROM balances.account_balance WHERE open GROUP BY 1, 2, 3) s "
      "USING (branch_id, currency, product) WHERE (t.total, t.accounts) <> "
      "(coalesce(s.total, 0), coalesce(s.accounts, 0)) LIMIT 3");
  std::string shown;
  for (const auto& row : off) {
    for (const auto& v : row) shown += v.value_or("NULL") + " ";
    shown += "\n";
  }
  EXPECT_TRUE(off.empty()) << "every total is the sum of its open accounts; not these:\n" << shown;

  // The hot totals in Redis are the institutions' totals (written on the ticks after the
  // last batch).
  redis::ConnectionOptions ro;
  ro.port = redis_.port();
  redis::RedisClient redis(ro);
  auto hot_totals = [&] {
    std::map<std::string, std::map<std::string, std::int64_t>> hot;
    for (const auto& [institution, currencies] : manifest.institutions) {
      auto reply = redis.command({"HGETALL", "balances:institution:" + institution});
      if (!reply) return hot;
      for (const auto& [currency, total] : redis::field_map(reply.value())) {
        auto value = balances::scaled(total);
        hot[institution][currency] = value ? static_cast<std::int64_t>(*value / 10'000) : -1;
      }
    }
    return hot;
  };
  EXPECT_TRUE(eventually([&] { return hot_totals() == manifest.institutions; }, 10s))
      << "Redis holds other totals";
  EXPECT_TRUE(eventually(
      [&] { return postgres_->scalar("SELECT count(*) FROM balances.balance_history") != "0"; },
      10s));
  EXPECT_EQ(postgres_->scalar("SELECT count(*) FROM balances.balance_history h WHERE (total, "
                              "accounts) <> (SELECT total, accounts FROM balances.by_institution i "
                              "WHERE (i.institution_id, i.currency) = (h.institution_id, "
                              "h.currency)) AND minute = (SELECT max(minute) FROM "
                              "balances.balance_history)"),
            "0")
      << "the last minute's history holds the current totals";
  cluster.stop();
}

INSTANTIATE_TEST_SUITE_P(Formats, BalancesTopology,
                         ::testing::Values("debezium", "canal", "maxwell"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace gale::testing
