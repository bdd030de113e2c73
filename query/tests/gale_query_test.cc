// gale-query as a process, asked over HTTP with curl as a client would: the balances templates
// against a real PostgreSQL, first without security, then behind TLS and the cluster's tokens
// (a real ZooKeeper): no token 401, a viewer's token 200, a supervisor's 403.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "gale/coordination/cluster_state.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/nimbus/tokens.h"
#include "gale/testing/child_process.h"
#include "gale/testing/postgres_server.h"
#include "gale/testing/tls_files.h"
#include "gale/testing/zookeeper_server.h"

namespace gale::testing {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Answer {
  int status = 0;
  std::string body;
};

// curl, as a client runs it: the status and the body.
Answer get(const std::string& url, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "-w", "\n%{http_code}", "--max-time", "10"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  CommandResult r = run_command(argv);
  auto nl = r.output.rfind('\n');
  Answer a;
  if (nl == std::string::npos) return a;
  a.body = r.output.substr(0, nl);
  a.status = std::atoi(r.output.c_str() + nl + 1);
  return a;
}

class GaleQueryProcess : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    postgres_ = new PostgresServer();
    std::ifstream in(GALE_BALANCES_SCHEMA);
    std::stringstream schema;
    schema << in.rdbuf();
    postgres_->execute(schema.str());
    postgres_->execute("INSERT INTO balances.branch VALUES ('br-1', 'inst-01', 'p')");
    postgres_->execute(
        "INSERT INTO balances.balance_total VALUES ('br-1', 'CNY', 'savings', 1234.56, 3)");
  }
  static void TearDownTestSuite() {
    delete postgres_;
    postgres_ = nullptr;
  }
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gale-query-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    port_ = free_port();
  }
  void TearDown() override {
    process_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void start(std::vector<std::string> settings, const std::string& scheme) {
    std::vector<std::string> argv{GALE_QUERY_BIN,
                                  "--config",
                                  "/dev/null",
                                  "-c",
                                  std::string("query.templates=") + GALE_BALANCES_TEMPLATES,
                                  "-c",
                                  "query.port=" + std::to_string(port_),
                                  "-c",
                                  "postgres.port=" + std::to_string(postgres_->port()),
                                  "-c",
                                  "postgres.password=" + postgres_->password()};
    for (const auto& s : settings) argv.insert(argv.end(), {"-c", s});
    process_ = std::make_unique<ChildProcess>(argv, (dir_ / "gale-query.log").string());
    base_ = scheme + "://127.0.0.1:" + std::to_string(port_);
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (get(base_ + "/api/v1/health", curl_tls_).status == 200) return;
      if (!process_->running()) break;
      std::this_thread::sleep_for(100ms);
    }
    std::ifstream log(dir_ / "gale-query.log");
    std::stringstream s;
    s << log.rdbuf();
    FAIL() << "gale-query did not answer its health check; its log:\n" << s.str();
  }

  static PostgresServer* postgres_;
  fs::path dir_;
  int port_ = 0;
  std::string base_;
  std::vector<std::string> curl_tls_;
  std::unique_ptr<ChildProcess> process_;
};
PostgresServer* GaleQueryProcess::postgres_ = nullptr;

TEST_F(GaleQueryProcess, AnswersTemplatesOverHttpWithoutSecurity) {
  start({"security.enabled=false"}, "http");
  Answer ok = get(base_ + "/api/v1/queries/institution_balances?institution=inst-01");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(nlohmann::json::parse(ok.body)["rows"],
            nlohmann::json({{"inst-01", "CNY", "1234.56", "3"}}));
  Answer bad = get(base_ + "/api/v1/queries/large_accounts?branch=br-1&min_balance=1%3B%20DROP");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("parameter 'min_balance' (numeric)"));
  EXPECT_EQ(get(base_ + "/api/v1/queries/none").status, 404);
}

TEST_F(GaleQueryProcess, BehindTlsAndTheClustersTokens) {
  coordination::testing::ZooKeeperServer zookeeper;
  const std::string auth = "gale:query-test-secret";
  coordination::ZooKeeperOptions zk;
  zk.connect_string = zookeeper.connect_string();
  zk.root = "/gale-query";
  zk.auth_payload = auth;
  auto store = coordination::ZooKeeperStore::connect(zk);
  ASSERT_TRUE(store) << store.error().message;
  coordination::ClusterState state(**store);
  ASSERT_TRUE(state.init());
  auto viewer = nimbus::issue_token(state, "vic", nimbus::Role::viewer, 0);
  auto supervisor = nimbus::issue_token(state, "sup", nimbus::Role::supervisor, 0);
  ASSERT_TRUE(viewer && supervisor);
  TlsFiles tls = make_tls_files(dir_ / "tls");
  curl_tls_ = {"--cacert", tls.ca.string()};
  start({"security.enabled=true", "storm.zookeeper.servers=" + zk.connect_string,
         "storm.zookeeper.root=/gale-query", "storm.zookeeper.auth.payload=" + auth,
         "query.tls.cert.file=" + tls.cert.string(), "query.tls.key.file=" + tls.key.string()},
        "https");
  const std::string url = base_ + "/api/v1/queries/institution_balances?institution=inst-01";
  Answer anonymous = get(url, curl_tls_);
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  std::vector<std::string> as_viewer = curl_tls_;
  as_viewer.insert(as_viewer.end(), {"-H", "Authorization: Bearer " + viewer->token});
  Answer allowed = get(url, as_viewer);
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  std::vector<std::string> as_supervisor = curl_tls_;
  as_supervisor.insert(as_supervisor.end(), {"-H", "Authorization: Bearer " + supervisor->token});
  Answer refused = get(url, as_supervisor);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("data.query"));
  // Plain HTTP is never answered.
  EXPECT_NE(get("http://127.0.0.1:" + std::to_string(port_) + "/api/v1/health").status, 200);
}

}  // namespace
}  // namespace gale::testing
