// PostgresClient against a real PostgreSQL server (gale::testing's PostgresServer).
#include "gale/postgres/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gale/testing/postgres_server.h"
#include "gale/testing/runtime_test_support.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using postgres::Param;
using postgres::PostgresClient;
using postgres::PostgresErrc;
using postgres::Statement;

postgres::ConnectionOptions options_for(const PostgresServer& server) {
  postgres::ConnectionOptions o;
  o.port = server.port();
  o.user = PostgresServer::user();
  o.password = server.password();
  o.database = PostgresServer::database();
  o.timeout = 1000ms;
  o.reconnect_backoff_max = 200ms;
  return o;
}

// One server for the tests that do not stop it; each test uses its own table.
class PostgresClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new PostgresServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static PostgresServer* server_;
};
PostgresServer* PostgresClientTest::server_ = nullptr;

TEST_F(PostgresClientTest, ABatchIsOneTransactionAndNumbersKeepEveryDigit) {
  server_->execute("CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric NOT NULL)");
  PostgresClient client(options_for(*server_));
  ASSERT_TRUE(client.prepare("put",
                             "INSERT INTO ledger VALUES ($1, $2) ON CONFLICT (id) DO "
                             "UPDATE SET amount = EXCLUDED.amount RETURNING amount"));
  std::vector<Statement> batch;
  for (int i = 0; i < 1000; ++i)
    batch.push_back({"put", {std::to_string(i), std::to_string(i) + "12345678901234567890.01"}});
  auto results = client.transaction(batch);
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results.value().size(), 1000u);
  EXPECT_EQ(results.value()[7].affected, 1);
  EXPECT_EQ(results.value()[7].columns, std::vector<std::string>{"amount"});
  EXPECT_EQ(results.value()[7].rows.at(0).at(0), Param("712345678901234567890.01"));
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM ledger"), "1000");
  // Amount i is i * 10^20 + 12345678901234567890.01: the sum is 499500 * 10^20 + 1000 times
  // that, which a double could not hold.
  EXPECT_EQ(server_->scalar("SELECT sum(amount) FROM ledger"), "49962345678901234567890010.00")
      << "numeric arithmetic on exactly what was sent";
}

TEST_F(PostgresClientTest, ARefusedStatementLeavesNothingOfItsBatchAndIsNamed) {
  server_->execute("CREATE TABLE positive (id int PRIMARY KEY, n int CHECK (n > 0))");
  PostgresClient client(options_for(*server_));
  ASSERT_TRUE(client.prepare("ins", "INSERT INTO positive VALUES ($1, $2)"));
  std::vector<Statement> batch{{"ins", {"1", "5"}}, {"ins", {"2", "-1"}}, {"ins", {"3", "7"}}};
  std::size_t failed = 99;
  auto results = client.transaction(batch, &failed);
  ASSERT_FALSE(results);
  EXPECT_EQ(results.error().code, make_error_code(PostgresErrc::statement));
  EXPECT_EQ(failed, 1u);
  EXPECT_NE(results.error().message.find("ins (statement 2 of 3)"), std::string::npos)
      << results.error().message;
  EXPECT_NE(results.error().message.find("SQLSTATE 23514"), std::string::npos)
      << results.error().message;
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM positive"), "0") << "rolled back as a whole";
  // The connection stays usable.
  ASSERT_TRUE(client.transaction(std::vector<Statement>{{"ins", {"1", "5"}}}));
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM positive"), "1");
}

TEST_F(PostgresClientTest, AnErrorAtTheCommitFailsTheBatchAndNothingStays) {
  // A deferred constraint is checked at the commit (the pipeline's sync point), after every
  // statement succeeded.
  server_->execute(
      "CREATE TABLE deferred (id int, CONSTRAINT once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)");
  PostgresClient client(options_for(*server_));
  ASSERT_TRUE(client.prepare("put", "INSERT INTO deferred VALUES ($1)"));
  auto r = client.transaction(std::vector<Statement>{{"put", {"1"}}, {"put", {"1"}}});
  ASSERT_FALSE(r) << "acked although the commit failed";
  EXPECT_EQ(r.error().code, make_error_code(PostgresErrc::statement));
  EXPECT_NE(r.error().message.find("the commit failed"), std::string::npos) << r.error().message;
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM deferred"), "0");
  ASSERT_TRUE(client.transaction(std::vector<Statement>{{"put", {"2"}}})) << "still usable";
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM deferred"), "1");
}

TEST_F(PostgresClientTest, EachStatementOnItsOwnFailsAlone) {
  server_->execute("CREATE TABLE names (id int PRIMARY KEY, name text)");
  server_->execute("INSERT INTO names VALUES (1, 'one'), (2, 'two')");
  PostgresClient client(options_for(*server_));
  ASSERT_TRUE(client.prepare("name_of", "SELECT name FROM names WHERE id = $1"));
  std::vector<Statement> lookups{
      {"name_of", {"2"}}, {"name_of", {"not a number"}}, {"name_of", {"3"}}, {"name_of", {"1"}}};
  auto results = client.each(lookups);
  ASSERT_TRUE(results) << results.error().message;
  auto& r = results.value();
  ASSERT_EQ(r.size(), 4u);
  ASSERT_TRUE(r[0]);
  EXPECT_EQ(r[0].value().rows.at(0).at(0), Param("two"));
  ASSERT_FALSE(r[1]);
  EXPECT_NE(r[1].error().message.find("invalid input syntax for type integer"), std::string::npos)
      << r[1].error().message;
  ASSERT_TRUE(r[2]);
  EXPECT_TRUE(r[2].value().rows.empty());
  ASSERT_TRUE(r[3]);
  EXPECT_EQ(r[3].value().rows.at(0).at(0), Param("one"));
}

TEST_F(PostgresClientTest, NullAndTextWithQuotesAreDataNeverSql) {
  server_->execute("CREATE TABLE notes (id int PRIMARY KEY, body text)");
  PostgresClient client(options_for(*server_));
  ASSERT_TRUE(client.prepare("note", "INSERT INTO notes VALUES ($1, $2)"));
  std::string hostile = "x'); DROP TABLE notes; --";
  ASSERT_TRUE(client.transaction(
      std::vector<Statement>{{"note", {"1", hostile}}, {"note", {"2", std::nullopt}}}));
  EXPECT_EQ(server_->scalar("SELECT body FROM notes WHERE id = 1"), hostile);
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM notes WHERE body IS NULL"), "1");
}

TEST_F(PostgresClientTest, AStatementThatDoesNotPrepareIsRefusedWithTheServersReason) {
  PostgresClient client(options_for(*server_));
  auto r = client.prepare("bad", "SELECT * FROM no_such_table WHERE id = $1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(PostgresErrc::statement));
  EXPECT_NE(r.error().message.find("relation \"no_such_table\" does not exist"), std::string::npos)
      << r.error().message;
  // Not registered: a reconnect does not trip over it.
  ASSERT_TRUE(client.prepare("good", "SELECT 1"));
}

TEST_F(PostgresClientTest, AWrongPasswordIsAConnectErrorThatNamesTheServer) {
  auto o = options_for(*server_);
  o.password = "wrong";
  PostgresClient client(o);
  auto r = client.query("SELECT 1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(PostgresErrc::connect));
  EXPECT_NE(r.error().message.find("password authentication failed"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("gale@127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong"), std::string::npos) << "the password is not shown";
}

TEST(PostgresClientOutageTest, AStoppedServerGivesErrorsThenBackoffAndTheClientComesBack) {
  PostgresServer server;
  server.execute("CREATE TABLE t (id int PRIMARY KEY)");
  PostgresClient client(options_for(server));
  ASSERT_TRUE(client.prepare("ins", "INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING"));
  ASSERT_TRUE(client.transaction(std::vector<Statement>{{"ins", {"1"}}}));
  server.stop();
  auto lost = client.transaction(std::vector<Statement>{{"ins", {"2"}}});
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, make_error_code(PostgresErrc::io)) << lost.error().message;
  auto refused = client.transaction(std::vector<Statement>{{"ins", {"2"}}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(PostgresErrc::connect))
      << refused.error().message;
  auto backoff = client.transaction(std::vector<Statement>{{"ins", {"2"}}});
  ASSERT_FALSE(backoff);
  EXPECT_EQ(backoff.error().code, make_error_code(PostgresErrc::backoff))
      << backoff.error().message;
  server.restart();
  std::this_thread::sleep_for(250ms);  // past the backoff
  // The statement is prepared again on the new connection.
  auto back = client.transaction(std::vector<Statement>{{"ins", {"2"}}});
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(server.scalar("SELECT count(*) FROM t"), "2");
}

TEST(PostgresClientOutageTest, AHungServerIsATimeoutAndNotAStuckCaller) {
  PostgresServer server;
  PostgresClient client(options_for(server));
  ASSERT_TRUE(client.prepare("one", "SELECT 1"));
  server.pause();
  auto start = std::chrono::steady_clock::now();
  auto r = client.each(std::vector<Statement>{{"one", {}}});
  auto took = std::chrono::steady_clock::now() - start;
  server.resume();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(PostgresErrc::timeout)) << r.error().message;
  EXPECT_LT(took, 3s);
  EXPECT_FALSE(client.connected()) << "a timed-out connection is dropped";
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(eventually(
      [&] {
        return bool(client.each(std::vector<Statement>{{"one", {}}}));
      },
      10s));
}

}  // namespace
}  // namespace gale::testing
