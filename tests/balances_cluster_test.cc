// The balances application on a whole local cluster (ZooKeeper, Nimbus, two supervisors,
// worker processes), fed by gale-kafka-dev, writing into a real PostgreSQL: while gale-gen is
// still producing the core banking log (with redeliveries and malformed records), a worker
// is killed with SIGKILL again and again, and the result tables still end exactly as the
// generator's manifest says, per account and per institution, and the reconciliation from the
// topic finds nothing to correct. One run per CDC format. Figures come from PostgreSQL, Kafka
// and gale-balances, never from logs.
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>

#include "balances_support.h"
#include "gale/balances/ledger.h"
#include "gale/cdc/change.h"
#include "gale/testing/cluster_fixture.h"
#include "gale/testing/kafka_dev_broker.h"
#include "gale/testing/kafka_test_support.h"
#include "gale/testing/postgres_server.h"

namespace gale::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBalances = std::string(GALE_TOPOLOGY_DIR) + "/balances.so";

class BalancesCluster : public Cluster, public ::testing::WithParamInterface<std::string> {
 protected:
  static void SetUpTestSuite() { postgres_ = new PostgresServer(); }
  static void TearDownTestSuite() {
    delete postgres_;
    postgres_ = nullptr;
  }

  void SetUp() override {
    Cluster::SetUp();
    if (HasFatalFailure()) return;
    broker_ = std::make_unique<KafkaDevBroker>(
        kBin, dir / "logs", std::vector<std::string>{"core-banking:3", "core-banking-dlq:1"});
    password_file_ = (dir / "pg-password").string();
    std::ofstream(password_file_) << postgres_->password() << "\n";
    postgres_->execute("DROP SCHEMA IF EXISTS balances CASCADE");
  }
  void TearDown() override {
    Cluster::TearDown();
    broker_.reset();
  }

  CommandResult balances_tool(std::vector<std::string> args) const {
    return gale_balances(std::move(args), *postgres_, password_file_);
  }

  static PostgresServer* postgres_;
  std::unique_ptr<KafkaDevBroker> broker_;
  std::string password_file_;
};
PostgresServer* BalancesCluster::postgres_ = nullptr;

TEST_P(BalancesCluster, ExactBalancesWhileWorkersAreKilledMidStream) {
  const std::string format = GetParam();
  CommandResult schema = balances_tool({"schema"});
  ASSERT_EQ(schema.exit_code, 0) << schema.output;

  auto r = gale({"submit", kBalances, "--name", "balances", "-c", "topology.workers=2", "-c",
                 "topology.message.timeout.secs=8", "-c", "balances.source=kafka", "-c",
                 "balances.format=" + format, "-c", "balances.writer.parallelism=2", "-c",
                 "kafka.bootstrap.servers=" + broker_->bootstrap(), "-c",
                 "kafka.topics=core-banking", "-c", "kafka.group.id=balances-" + format,
                 // A killed worker's consumer leaves the group after this, and its partitions
                 // move to the other one.
                 "-c", "kafka.consumer.session.timeout.ms=6000", "-c",
                 "postgres.port=" + std::to_string(postgres_->port()), "-c",
                 "postgres.user=" + std::string(PostgresServer::user()), "-c",
                 "postgres.password=" + postgres_->password(), "-c", "postgres.batch.size=50"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string id = topology_id("balances");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2; })) << "workers did not start";

  // About twenty-seven seconds of log; once the first accounts are written, a worker picked at
  // random dies every four seconds, four times, while the generator is still writing.
  const fs::path manifest_path = dir / "expected.json";
  const fs::path gen_log = dir / "logs" / "gale-gen.log";
  ChildProcess producer({kBin + "/gale-gen",
                         "core-banking",
                         "--format",
                         format,
                         "--count",
                         "4000",
                         "--accounts",
                         "200",
                         "--duplicates",
                         "0.05",
                         "--malformed",
                         "0.01",
                         "--rate",
                         "150",
                         "--out",
                         (dir / "log.jsonl").string(),
                         "--brokers",
                         broker_->bootstrap(),
                         "--topic",
                         "core-banking",
                         "--expected",
                         manifest_path.string()},
                        gen_log.string());
  auto written = [&] {
    return std::stoll(postgres_->scalar("SELECT count(*) FROM balances.account_balance"));
  };
  ASSERT_TRUE(eventually([&] { return written() >= 20; }, 40s))
      << "nothing written; gale-gen: " << gen_log;
  const auto first_pids = worker_pids(id);
  std::mt19937 random(5);
  for (int kill = 0; kill < 4; ++kill) {
    auto now = worker_pids(id);
    ASSERT_FALSE(now.empty());
    EXPECT_TRUE(producer.running()) << "kill " << kill << " came after the end of the log";
    ::kill(now[std::uniform_int_distribution<std::size_t>(0, now.size() - 1)(random)], SIGKILL);
    std::this_thread::sleep_for(4s);
  }
  ASSERT_TRUE(eventually([&] { return !producer.running(); }, 60s));
  EXPECT_NE(worker_pids(id), first_pids) << "the killed workers were restarted";
  const std::string summary = [&] {
    std::ifstream in(gen_log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(summary, m, std::regex("(\\d+) malformed lines"))) << summary;
  const std::size_t malformed = std::stoul(m[1]);
  nlohmann::json manifest = nlohmann::json::parse(std::ifstream(manifest_path));

  // Every open account's balance exactly as the manifest says, and nothing else open.
  std::string last;
  auto accounts_match = [&] {
    PostgresServer::Rows rows = postgres_->query(
        "SELECT account_id, balance::text FROM balances.account_balance WHERE open");
    last = std::to_string(rows.size()) + " open accounts, " +
           std::to_string(manifest["accounts"].size()) + " expected";
    if (rows.size() != manifest["accounts"].size()) return false;
    for (const auto& row : rows) {
      auto it = manifest["accounts"].find(*row.at(0));
      if (it == manifest["accounts"].end() || cents(it->get<std::string>()) != cents(*row.at(1))) {
        last = "account " + *row.at(0) + " holds " + *row.at(1);
        return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(eventually(accounts_match, 90s)) << last << "; logs in " << dir / "logs";
  // Every institution's total and account count as the manifest says; any other row empty.
  std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>> expected;
  for (const auto& [institution, currencies] : manifest["institutions"].items())
    for (const auto& [currency, total] : currencies.items())
      expected[{institution, currency}] = {cents(total.get<std::string>()), 0};
  for (const auto& row :
       postgres_->query("SELECT b.institution_id, a.currency FROM balances.account_balance a JOIN "
                        "balances.branch b USING (branch_id) WHERE a.open"))
    ++expected[{*row.at(0), *row.at(1)}].second;
  std::size_t seen = 0;
  for (const auto& row : postgres_->query(
           "SELECT institution_id, currency, total::text, accounts FROM balances.by_institution")) {
    auto it = expected.find({*row.at(0), *row.at(1)});
    std::pair<std::int64_t, std::int64_t> want =
        it == expected.end() ? std::pair<std::int64_t, std::int64_t>{0, 0} : it->second;
    if (it != expected.end()) ++seen;
    EXPECT_EQ(cents(*row.at(2)), want.first) << *row.at(0) << " " << *row.at(1);
    EXPECT_EQ(std::stoll(*row.at(3)), want.second) << *row.at(0) << " " << *row.at(1);
  }
  EXPECT_EQ(seen, expected.size()) << "an institution's totals are missing";

  // Every malformed record reached the dead-letter topic with its reason (at least once: a
  // killed worker's letters may be written again), and nothing else did. The malformed lines
  // are those of gale-gen's copy of the log that the decode bolt refuses (modelled here:
  // cdc::decode and the balances' reading of each change); read the topic for longer than
  // their count asks, so that repeats cannot hide a missing letter.
  ASSERT_GT(malformed, 0u) << summary;
  std::set<std::string> refused;
  {
    const cdc::Format f = *cdc::format_named(format);
    cdc::DecodeOptions options;  // the copy has no record keys: the tables' keys instead
    for (const char* table : {"core.accounts", "core.branches", "core.institutions"})
      options.key_columns[table] = {"id"};
    std::ifstream in(dir / "log.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto changes = cdc::decode(f, "", line, options);
      bool ok = changes.ok();
      if (ok) {
        for (const auto& c : changes.value()) {
          if (c.table == "accounts") ok = ok && balances::account_of(c).ok();
          if (c.table == "branches" && c.op != cdc::Operation::remove)
            ok = ok && balances::branch_of(c).ok();
          if (c.table == "institutions" && c.op != cdc::Operation::remove)
            ok = ok && balances::institution_of(c).ok();
        }
      }
      if (!ok) refused.insert(line);
    }
  }
  ASSERT_FALSE(refused.empty());
  auto dead =
      kafka::testing::consume(broker_->bootstrap(), "core-banking-dlq", 1, 3 * malformed, 10s);
  EXPECT_GE(dead.size(), malformed);
  std::set<std::string> letters;
  for (const auto& record : dead) {
    auto letter = nlohmann::json::parse(record.value.value_or("{}"));
    EXPECT_FALSE(letter.value("reason", "").empty()) << letter.dump();
    letters.insert(letter.value("value", ""));
  }
  EXPECT_EQ(letters, refused);

  CommandResult clean = balances_tool({"reconcile", "--bootstrap-servers", broker_->bootstrap(),
                                       "--topic", "core-banking", "--format", format});
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_NE(clean.output.find("; 0 differences"), std::string::npos) << clean.output;
}

INSTANTIATE_TEST_SUITE_P(Formats, BalancesCluster,
                         ::testing::Values("debezium", "canal", "maxwell"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace gale::testing
