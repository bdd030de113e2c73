// QueryService against a real PostgreSQL: templates run with bound parameters, one page at a
// time; wrong parameters named with 400; SQL injection only ever data; a template that does not
// prepare refused at start; a slow query cancelled (504); a template that would write cannot.
#include "gale/query/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gale/testing/postgres_server.h"

namespace gale::query {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::PostgresServer;

class QueryServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new PostgresServer();
    std::ifstream in(GALE_BALANCES_SCHEMA);
    std::stringstream schema;
    schema << in.rdbuf();
    server_->execute(schema.str());
    server_->execute(
        "INSERT INTO balances.branch VALUES ('br-1', 'inst-01', 'p'), ('br-2', 'inst-02', 'p'), "
        "('br-3', 'inst-03', 'p'), ('br-4', 'inst-04', 'p'), ('br-5', 'inst-05', 'p')");
    server_->execute(
        "INSERT INTO balances.balance_total VALUES ('br-1', 'CNY', 'savings', 100.10, 2), "
        "('br-1', 'USD', 'savings', 7.00, 1), ('br-2', 'CNY', 'current', 250.00, 3), "
        "('br-3', 'CNY', 'current', 99999999999999999999.99, 1), ('br-4', 'CNY', 'payroll', "
        "5.00, 1), ('br-5', 'CNY', 'payroll', 1.00, 1)");
    server_->execute(
        "INSERT INTO balances.account_balance VALUES ('acct-1', 'br-1', 'CNY', 'savings', 60.10, "
        "true, 'p', 1, now()), ('acct-2', 'br-1', 'CNY', 'savings', 40.00, true, 'p', 1, now())");
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static ServiceOptions options() {
    ServiceOptions o;
    o.database.port = server_->port();
    o.database.user = PostgresServer::user();
    o.database.password = server_->password();
    o.connections = 2;
    o.page_max_rows = 3;
    o.timeout = std::chrono::milliseconds(300);
    return o;
  }
  static std::unique_ptr<QueryService> service(const std::string& yaml) {
    auto templates = Templates::parse(yaml);
    EXPECT_TRUE(templates) << templates.error().message;
    auto s = QueryService::start(std::move(*templates), options());
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }
  static std::unique_ptr<QueryService> balances() {
    auto templates = Templates::load_file(GALE_BALANCES_TEMPLATES);
    EXPECT_TRUE(templates);
    auto s = QueryService::start(std::move(*templates), options());
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }

  static PostgresServer* server_;
};
PostgresServer* QueryServiceTest::server_ = nullptr;

TEST_F(QueryServiceTest, ATemplateAnswersItsRowsAsExactText) {
  auto s = balances();
  Response r = s->handle("GET", "/api/v1/queries/institution_balances?institution=inst-01");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body["columns"], json({"institution_id", "currency", "total", "accounts"}));
  EXPECT_EQ(body["rows"],
            json({{"inst-01", "CNY", "100.10", "2"}, {"inst-01", "USD", "7.00", "1"}}));
  EXPECT_EQ(body["next_offset"], nullptr);
  Response big = s->handle("GET", "/api/v1/queries/institution_balances?institution=inst-03");
  EXPECT_EQ(json::parse(big.body)["rows"][0][2], "99999999999999999999.99") << "every digit";
}

TEST_F(QueryServiceTest, PagesFollowTheTemplatesOrder) {
  auto s = balances();
  // Five institutions in CNY, largest first; the page is at most 3 rows (page_max_rows).
  json first = json::parse(s->handle("GET", "/api/v1/queries/institutions?limit=2").body);
  EXPECT_EQ(first["rows"].size(), 2u);
  EXPECT_EQ(first["rows"][0][0], "inst-03");
  EXPECT_EQ(first["next_offset"], 2);
  json last = json::parse(s->handle("GET", "/api/v1/queries/institutions?limit=2&offset=4").body);
  EXPECT_EQ(last["rows"], json({{"inst-05", "1.00", "1"}}));
  EXPECT_EQ(last["next_offset"], nullptr);
  Response too_big = s->handle("GET", "/api/v1/queries/institutions?limit=4");
  EXPECT_EQ(too_big.status, 400);
  EXPECT_THAT(too_big.body, HasSubstr("'limit' must be an integer in [1, 3], got \\\"4\\\""));
}

TEST_F(QueryServiceTest, AWrongParameterIsA400NamingIt) {
  auto s = balances();
  Response type = s->handle("GET", "/api/v1/queries/large_accounts?branch=br-1&min_balance=lots");
  EXPECT_EQ(type.status, 400);
  EXPECT_THAT(type.body,
              HasSubstr("parameter 'min_balance' (numeric): \\\"lots\\\" is not a decimal number"));
  Response missing = s->handle("GET", "/api/v1/queries/large_accounts");
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("parameter 'branch' (text) is required"));
  Response unknown = s->handle("GET", "/api/v1/queries/large_accounts?branch=br-1&colour=red");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body, HasSubstr("unknown parameter 'colour'"));
  EXPECT_EQ(s->handle("GET", "/api/v1/queries/nothing_like_it").status, 404);
  EXPECT_EQ(s->handle("POST", "/api/v1/queries/institutions").status, 405);
  Response listed = s->handle("GET", "/api/v1/queries");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(json::parse(listed.body)["queries"].size(), 5u);
}

TEST_F(QueryServiceTest, AnInjectionIsOnlyEverData) {
  auto s = balances();
  Response r = s->handle(
      "GET",
      "/api/v1/queries/account_balance?account=1%3B%20DROP%20TABLE%20balances.account_balance");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["rows"].empty());
  Response quoted =
      s->handle("GET", "/api/v1/queries/account_balance?account=x%27%20OR%20%271%27%3D%271");
  ASSERT_EQ(quoted.status, 200);
  EXPECT_TRUE(json::parse(quoted.body)["rows"].empty()) << "' OR '1'='1 matches nothing";
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM balances.account_balance"), "2");
}

TEST_F(QueryServiceTest, ATemplateThatDoesNotPrepareIsRefusedAtStartWithItsName) {
  auto templates = Templates::parse(
      "queries:\n  - {name: good, sql: SELECT 1}\n  - {name: broken, sql: SELECT * FROM "
      "balances.no_such_table}\n");
  ASSERT_TRUE(templates);
  auto s = QueryService::start(std::move(*templates), options());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(QueryErrc::bad_template));
  EXPECT_THAT(s.error().message, HasSubstr("template 'broken' does not prepare"));
  EXPECT_THAT(s.error().message, HasSubstr("balances.no_such_table"));
}

TEST_F(QueryServiceTest, ASlowQueryIsCancelledAndAnswered504) {
  auto s = service(
      "queries:\n  - name: slow\n    sql: SELECT 1 AS one FROM pg_sleep(:seconds)\n    params: "
      "[{name: seconds, type: numeric}]\n");
  Response slow = s->handle("GET", "/api/v1/queries/slow?seconds=5");
  EXPECT_EQ(slow.status, 504) << slow.body;
  EXPECT_THAT(slow.body, HasSubstr("ran past query.timeout.ms (300 ms)"));
  EXPECT_EQ(s->handle("GET", "/api/v1/queries/slow?seconds=0").status, 200)
      << "the connection serves the next query";
}

TEST_F(QueryServiceTest, ATemplateThatWouldWriteCannot) {
  auto s = service(
      "queries:\n  - name: sneaky\n    sql: WITH gone AS (DELETE FROM balances.account_balance "
      "RETURNING account_id) SELECT * FROM gone\n");
  Response r = s->handle("GET", "/api/v1/queries/sneaky");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("read-only transaction"));
  EXPECT_EQ(server_->scalar("SELECT count(*) FROM balances.account_balance"), "2");
}

}  // namespace
}  // namespace gale::query
