// The balances application end to end, as an operator runs it: gale-kafka-dev, a real
// PostgreSQL, gale-balances schema, gale-gen core-banking into Kafka (with redeliveries and
// malformed records, and then the whole log again), `gale local balances.so` from Kafka,
// gale-balances reconcile.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "balances_support.h"
#include "gale/testing/child_process.h"
#include "gale/testing/kafka_dev_broker.h"
#include "gale/testing/kafka_test_support.h"
#include "gale/testing/postgres_server.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kBin = GALE_BIN_DIR;
const std::string kBalances = std::string(GALE_TOPOLOGY_DIR) + "/balances.so";

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return pred();
}

class BalancesEndToEnd : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { postgres_ = new PostgresServer(); }
  static void TearDownTestSuite() {
    delete postgres_;
    postgres_ = nullptr;
  }

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gale-balances-" + GetParam() + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    broker_ = std::make_unique<KafkaDevBroker>(
        kBin, dir_, std::vector<std::string>{"core-banking:3", "core-banking-dlq:1"});
    password_file_ = (dir_ / "pg-password").string();
    std::ofstream(password_file_) << postgres_->password() << "\n";
    postgres_->execute("DROP SCHEMA IF EXISTS balances CASCADE");
  }
  void TearDown() override {
    broker_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  CommandResult balances_tool(std::vector<std::string> args) const {
    return gale_balances(std::move(args), *postgres_, password_file_);
  }

  static PostgresServer* postgres_;
  fs::path dir_;
  std::unique_ptr<KafkaDevBroker> broker_;
  std::string password_file_;
};
PostgresServer* BalancesEndToEnd::postgres_ = nullptr;

TEST_P(BalancesEndToEnd, FromKafkaToExactBalancesDeadLettersAndAReconciliationOfZero) {
  const std::string format = GetParam();
  CommandResult schema = balances_tool({"schema"});
  ASSERT_EQ(schema.exit_code, 0) << schema.output;

  const fs::path manifest_path = dir_ / "expected.json";
  // The whole log twice, the second copy after the first (every change delivered again, after
  // changes newer than itself), on top of gale-gen's own redeliveries.
  const std::vector<std::string> gen_argv{kBin + "/gale-gen", "core-banking",
                                          "--format",         format,
                                          "--count",          "3000",
                                          "--accounts",       "200",
                                          "--duplicates",     "0.05",
                                          "--malformed",      "0.01",
                                          "--brokers",        broker_->bootstrap(),
                                          "--topic",          "core-banking",
                                          "--expected",       manifest_path.string()};
  CommandResult gen = run_command(gen_argv);
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  CommandResult again = run_command(gen_argv);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  ASSERT_EQ(again.output, gen.output) << "the same options gave another log";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(gen.output, m, std::regex("(\\d+) malformed lines"))) << gen.output;
  const std::size_t malformed = 2 * std::stoul(m[1]);
  ASSERT_GT(malformed, 0u) << gen.output;
  nlohmann::json manifest = nlohmann::json::parse(std::ifstream(manifest_path));

  ChildProcess topology({kBin + "/gale",
                         "local",
                         kBalances,
                         "--duration",
                         "0",
                         "-c",
                         "balances.source=kafka",
                         "-c",
                         "balances.format=" + format,
                         "-c",
                         "kafka.bootstrap.servers=" + broker_->bootstrap(),
                         "-c",
                         "kafka.topics=core-banking",
                         "-c",
                         "kafka.group.id=balances-" + format,
                         "-c",
                         "postgres.port=" + std::to_string(postgres_->port()),
                         "-c",
                         "postgres.password=" + postgres_->password(),
                         "-c",
                         "postgres.batch.size=100"},
                        (dir_ / "balances.log").string());

  // Every open account's balance exactly as the manifest says, and nothing else open.
  auto accounts_match = [&] {
    PostgresServer::Rows rows = postgres_->query(
        "SELECT account_id, balance::text FROM balances.account_balance WHERE open");
    if (rows.size() != manifest["accounts"].size()) return false;
    for (const auto& row : rows) {
      auto it = manifest["accounts"].find(*row.at(0));
      if (it == manifest["accounts"].end() || cents(it->get<std::string>()) != cents(*row.at(1)))
        return false;
    }
    return true;
  };
  ASSERT_TRUE(eventually(accounts_match, 60s))
      << postgres_->scalar("SELECT count(*) FROM balances.account_balance WHERE open")
      << " open accounts in PostgreSQL, " << manifest["accounts"].size() << " expected; log:\n"
      << topology.log_path();
  for (const auto& [institution, currencies] : manifest["institutions"].items()) {
    for (const auto& [currency, total] : currencies.items()) {
      EXPECT_EQ(cents(postgres_->scalar("SELECT total::text FROM balances.by_institution WHERE "
                                        "institution_id = '" +
                                        institution + "' AND currency = '" + currency + "'")),
                cents(total.get<std::string>()))
          << institution << " " << currency;
    }
  }

  // Each malformed record is on the dead-letter topic, with its reason; the rest went on.
  auto dead = kafka::testing::consume(broker_->bootstrap(), "core-banking-dlq", 1, malformed, 20s);
  ASSERT_EQ(dead.size(), malformed);
  for (const auto& record : dead) {
    auto letter = nlohmann::json::parse(record.value.value_or("{}"));
    EXPECT_FALSE(letter.value("reason", "").empty()) << letter.dump();
  }

  // The reconciliation from the topic alone finds nothing to correct...
  CommandResult clean = balances_tool({"reconcile", "--bootstrap-servers", broker_->bootstrap(),
                                       "--topic", "core-banking", "--format", format});
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_NE(clean.output.find("; 0 differences"), std::string::npos) << clean.output;

  // ... and names an account whose balance was changed behind the topology's back.
  topology.stop();
  std::string account = manifest["accounts"].begin().key();
  postgres_->execute(
      "UPDATE balances.account_balance SET balance = balance + 1 WHERE account_id = '" + account +
      "'");
  CommandResult tampered = balances_tool({"reconcile", "--bootstrap-servers", broker_->bootstrap(),
                                          "--topic", "core-banking", "--format", format});
  EXPECT_EQ(tampered.exit_code, 1) << tampered.output;
  EXPECT_NE(tampered.output.find("account " + account + ": the log says"), std::string::npos)
      << tampered.output;
}

INSTANTIATE_TEST_SUITE_P(Formats, BalancesEndToEnd,
                         ::testing::Values("debezium", "canal", "maxwell"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace gale::testing
