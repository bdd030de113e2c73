// Nimbus's API as an attacker and as each role sees it, in-process over an InMemoryStore with
// HTTPS and tokens (docs/SECURITY.md): who is refused, with which status and line, what the
// audit log keeps, and the limits on callers.
#include <signal.h>
#include <sys/resource.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <fstream>

#include "audit_log.h"
#include "gale/coordination/in_memory_store.h"
#include "nimbus_fixture.h"
#include "rate_limiter.h"

namespace gale::nimbus::testing {
namespace {

using nlohmann::json;

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(state_.init().ok());
    ASSERT_TRUE(state_.register_supervisor(supervisor("sup-a", {7001, 7002})).ok());
  }

  void start(std::vector<std::pair<std::string, std::string>> settings = {}) {
    nimbus_ = std::make_unique<InProcessNimbus>(store_, dir_.path(), inspector_.inspector(),
                                                std::move(settings));
  }

  NimbusClient as(const std::string& principal, Role role) {
    return nimbus_->client_with(nimbus_->issue(principal, role));
  }

  static Result<json> submit(const NimbusClient& client, const std::string& name,
                             std::map<std::string, std::string> config = {}) {
    return client.submit(name, config, "not really a shared library");
  }

  // The audit entries whose field `key` is `value`.
  std::vector<json> audited(const std::string& key, const std::string& value) {
    auto entries = nimbus_->client().audit(1000);
    EXPECT_TRUE(entries.ok()) << entries.error().message;
    std::vector<json> found;
    if (entries.ok())
      for (const auto& e : *entries)
        if (e.contains(key) && e[key].is_string() && e[key] == value) found.push_back(e);
    return found;
  }

  coordination::InMemoryStore store_;
  coordination::ClusterState state_{store_};
  TempDir dir_;
  FakeInspector inspector_;
  std::unique_ptr<InProcessNimbus> nimbus_;
};

// What Nimbus answers to a request written by hand over TLS: `text` (a header, and maybe no
// body though one is declared), then whatever comes back within `wait`, or until Nimbus closes.
std::string raw_tls_exchange(int port, const std::filesystem::path& ca, const std::string& text,
                             std::chrono::seconds wait) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.load_verify_file(ca.string());
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, context);
  stream.lowest_layer().connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  stream.handshake(asio::ssl::stream_base::client);
  asio::write(stream, asio::buffer(text));
  std::string answer;
  std::array<char, 4096> buffer{};
  std::function<void()> read_more = [&] {
    stream.async_read_some(asio::buffer(buffer), [&](boost::system::error_code ec, std::size_t n) {
      answer.append(buffer.data(), n);
      if (!ec) read_more();
    });
  };
  read_more();
  io.run_for(wait);
  return answer;
}

// A request with a body is judged from its header: a caller without a valid token gets its 401
// (audited) though it has sent nothing of the 200 MB it declared, and the connection is closed.
TEST_F(SecurityTest, AnAnonymousBodyIsRefusedFromItsHeaderBeforeItIsRead) {
  start();
  const auto started = std::chrono::steady_clock::now();
  auto answer = raw_tls_exchange(
      nimbus_->nimbus().port(), nimbus_->tls().ca,
      "POST /api/v1/topologies HTTP/1.1\r\nHost: nimbus\r\nContent-Type: application/json\r\n"
      "Authorization: Bearer admin." +
          std::string(64, '0') + "\r\nContent-Length: 200000000\r\n\r\n",
      std::chrono::seconds(10));
  EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(*inspector_.calls, 0);
  EXPECT_EQ(audited("action", "POST /api/v1/topologies").size(), 1u);
  // A valid token's request with a body goes on to be read and served.
  ASSERT_TRUE(submit(nimbus_->client(), "words").ok());
}

// nimbus.max.connections: connections beyond it (or beyond a quarter of it from one address, as
// here) are closed as soon as they are accepted; the API answers again once held ones close.
TEST_F(SecurityTest, ConnectionsOverTheLimitAreClosedAtOnce) {
  start({{"nimbus.max.connections", "4"}});
  namespace asio = boost::asio;
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> held;
  const asio::ip::tcp::endpoint nimbus{asio::ip::make_address("127.0.0.1"),
                                       static_cast<unsigned short>(nimbus_->nimbus().port())};
  for (int i = 0; i < 4; ++i) {
    held.emplace_back(io);
    held.back().connect(nimbus);
  }
  // Once Nimbus has accepted them all, one more is closed before anything is read from it.
  bool refused = false;
  for (int attempt = 0; attempt < 50 && !refused; ++attempt) {
    asio::ip::tcp::socket extra(io);
    extra.connect(nimbus);
    timeval second{1, 0};
    ::setsockopt(extra.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
    char byte;
    refused = ::recv(extra.native_handle(), &byte, 1, 0) == 0;  // closed by Nimbus
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(nimbus_->client().list().ok());
  held.clear();
  EXPECT_TRUE(eventually([&] { return nimbus_->client().list().ok(); }));
}

// Every route but the health check answers 401 with one line to a caller without a valid
// token, before it parses anything: nothing is inspected, stored or changed.
TEST_F(SecurityTest, NoRouteButHealthAnswersWithoutAValidToken) {
  start();
  ASSERT_TRUE(submit(nimbus_->client(), "words").ok());
  const int inspections = *inspector_.calls;
  auto anonymous = nimbus_->client_with("");
  auto health = anonymous.request("GET", "/api/v1/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  const std::vector<std::pair<std::string, std::string>> routes{
      {"GET", "/api/v1/topologies"},
      {"POST", "/api/v1/topologies"},
      {"GET", "/api/v1/topologies/words"},
      {"POST", "/api/v1/topologies/words/kill"},
      {"POST", "/api/v1/topologies/words/rebalance"},
      {"POST", "/api/v1/topologies/words/deactivate"},
      {"PUT", "/api/v1/topologies/words/blobs/rules"},
      {"GET", "/api/v1/cluster"},
      {"GET", "/api/v1/artifacts/abc"},
      {"GET", "/api/v1/tokens"},
      {"POST", "/api/v1/tokens"},
      {"GET", "/api/v1/audit"},
      {"GET", "/api/v1/whoami"},
      {"GET", "/metrics"},
      {"GET", "/api/v1/no-such-route"}};
  for (const auto& token :
       {std::string(), std::string("admin.") + std::string(64, 'f'), std::string("garbage")}) {
    auto client = nimbus_->client_with(token);
    for (const auto& [method, target] : routes) {
      auto reply = client.request(method, target, "{}");
      ASSERT_TRUE(reply.ok()) << target << ": " << reply.error().message;
      EXPECT_EQ(reply->status, 401) << method << " " << target << ": " << reply->body;
      auto body = json::parse(reply->body, nullptr, false);
      ASSERT_TRUE(body.is_object() && body["error"].is_string()) << reply->body;
      EXPECT_EQ(body["error"].get<std::string>().find('\n'), std::string::npos);
      EXPECT_NE(body["error"].get<std::string>().find("token"), std::string::npos);
    }
  }
  EXPECT_EQ(*inspector_.calls, inspections);
  auto record = nimbus_->client().status("words");
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ((*record)["status"], "active");
  auto refused = audited("outcome", "refused");
  EXPECT_GE(refused.size(), routes.size() * 3);
  EXPECT_TRUE(refused.front()["principal"].is_null());
}

// The console's files hold no data: served without a token (from memory, nothing of the path
// reaches the disk), while every API call the pages make still needs one. A nimbus.ui.dir that
// cannot be served stops Nimbus at start, naming it.
TEST_F(SecurityTest, TheConsolesFilesAreServedWithoutATokenAndNothingElseIs) {
  std::filesystem::create_directories(dir_.path() / "ui");
  std::ofstream(dir_.path() / "ui" / "index.html") << "<!doctype html><title>Gale</title>";
  start({{conf::kNimbusUiDir, (dir_.path() / "ui").string()}});
  auto anonymous = nimbus_->client_with("");
  auto page = anonymous.request("GET", "/ui/");
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, "<!doctype html><title>Gale</title>");
  auto traversal = anonymous.request("GET", "/ui/../tls/nimbus.key");
  ASSERT_TRUE(traversal.ok());
  EXPECT_EQ(traversal->status, 404);
  EXPECT_EQ(traversal->body, "no such file\n");
  auto api = anonymous.request("GET", "/api/v1/topologies");
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->status, 401);
  nimbus_.reset();

  EXPECT_THROW(
      {
        try {
          start({{conf::kNimbusUiDir, (dir_.path() / "absent").string()}});
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("nimbus.ui.dir"), std::string::npos) << e.what();
          throw;
        }
      },
      std::runtime_error);
}

// Runtime settings (`gale set`): the built-in ones and the keys the topology declared change,
// each checked; anything else is refused naming what may change; only an admin or the
// owning deployer changes them; every change is audited with what it set, a secret's value
// hidden; the record counts the changes.
TEST_F(SecurityTest, SettingsChangeWhileRunningCheckedAuditedAndOnlyByTheOwner) {
  start();
  auto alice = as("alice", Role::deployer);
  ASSERT_TRUE(submit(alice, "words", {{"fake.rate", "10"}, {"fake.password", "hunter2"}}).ok());
  auto shown = alice.settings("words");
  ASSERT_TRUE(shown.ok()) << shown.error().message;
  EXPECT_EQ((*shown)["version"], 0);
  std::map<std::string, json> by_key;
  for (const auto& s : (*shown)["settings"]) by_key[s["key"]] = s;
  ASSERT_EQ(by_key.size(), 5u) << shown->dump();
  EXPECT_EQ(by_key["fake.rate"]["value"], "10");
  EXPECT_EQ(by_key["fake.password"]["value"], "******");
  EXPECT_EQ(by_key["topology.debug"]["config"], "false");

  auto changed = alice.change_settings(
      "words", {{"fake.rate", "25"}, {"topology.log.level", "debug"}, {"fake.password", "pw2"}},
      {});
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ((*changed)["version"], 1);
  auto record = state_.topology((*nimbus_->client().status("words"))["id"].get<std::string>());
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->settings,
            (std::map<std::string, std::string>{
                {"fake.password", "pw2"}, {"fake.rate", "25"}, {"topology.log.level", "debug"}}));
  EXPECT_EQ((*record)->settings_version, 1u);
  EXPECT_EQ((*record)->config.at("fake.rate"), "10");  // the config stays as submitted
  auto entries = audited("action", "settings.change");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["principal"], "alice");
  EXPECT_EQ(entries[0]["target"], "fake.password=******, fake.rate=25, topology.log.level=debug");

  auto reset = alice.change_settings("words", {}, {"fake.rate"});
  ASSERT_TRUE(reset.ok()) << reset.error().message;
  for (const auto& s : (*reset)["settings"]) {
    if (s["key"] == "fake.rate") {
      EXPECT_EQ(s["value"], "10");
    }
  }

  struct Refusal {
    std::map<std::string, std::string> set;
    std::string says;
  };
  for (const auto& [set, says] : std::vector<Refusal>{
           {{{"topology.workers", "3"}},
            "'topology.workers' cannot change while topology 'words' runs; these can: "
            "topology.log.level, topology.debug, topology.debug.sample.rate, fake.rate, "
            "fake.password"},
           {{{"topology.log.level", "loud"}}, "'loud' is not trace, debug, info"},
           {{{"topology.debug.sample.rate", "2"}}, "topology.debug.sample.rate"},
           {{{"fake.rate", std::string(2000, 'x')}}, "one line of at most 1024 bytes"}}) {
    auto refused = alice.change_settings("words", set, {});
    ASSERT_FALSE(refused.ok()) << set.begin()->first;
    EXPECT_EQ(refused.code(), make_error_code(NimbusErrc::bad_request));
    EXPECT_NE(refused.error().message.find(says), std::string::npos) << refused.error().message;
  }
  auto bob = as("bob", Role::deployer);
  auto not_his = bob.change_settings("words", {{"fake.rate", "1"}}, {});
  ASSERT_FALSE(not_his.ok());
  EXPECT_EQ(not_his.code(), make_error_code(NimbusErrc::forbidden));
  auto viewer = as("vera", Role::viewer);
  EXPECT_TRUE(viewer.settings("words").ok());
  auto refused = viewer.change_settings("words", {{"fake.rate", "1"}}, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("topology.settings"), std::string::npos)
      << refused.error().message;
}

TEST_F(SecurityTest, AViewerReadsAndIsRefusedEveryChangeNamingThePermission) {
  start();
  ASSERT_TRUE(submit(nimbus_->client(), "words").ok());
  auto viewer = as("vic", Role::viewer);
  EXPECT_TRUE(viewer.list().ok());
  EXPECT_TRUE(viewer.status("words").ok());
  EXPECT_TRUE(viewer.cluster().ok());
  EXPECT_TRUE(viewer.blobs("words").ok());
  auto scrape = viewer.request("GET", "/metrics");
  ASSERT_TRUE(scrape.ok());
  EXPECT_EQ(scrape->status, 200) << scrape->body;
  // A supervisor's token fetches artifacts only: not the metrics.
  auto supervisor_scrape = as("sup-a", Role::supervisor).request("GET", "/metrics");
  ASSERT_TRUE(supervisor_scrape.ok());
  EXPECT_EQ(supervisor_scrape->status, 403);
  EXPECT_NE(supervisor_scrape->body.find("metrics.read"), std::string::npos)
      << supervisor_scrape->body;
  const std::vector<std::pair<std::string, Result<json>>> changes{
      {"topology.kill", viewer.kill("words", 0)},
      {"topology.deactivate", viewer.deactivate("words")},
      {"topology.rebalance", viewer.rebalance("words", 0, 1, {})},
      {"topology.blob.write", viewer.put_blob("words", "rules", "x")},
      {"topology.savepoint", viewer.savepoint("words", "theirs")},
      {"topology.submit", submit(viewer, "mine")},
      {"token.admin", viewer.create_token("eve", "admin")},
      {"audit.read", viewer.audit(10)}};
  for (const auto& [permission, answer] : changes) {
    ASSERT_FALSE(answer.ok()) << permission;
    EXPECT_EQ(answer.code(), NimbusErrc::forbidden) << permission;
    EXPECT_NE(answer.error().message.find(permission), std::string::npos) << answer.error().message;
    EXPECT_NE(answer.error().message.find("vic"), std::string::npos) << answer.error().message;
  }
  EXPECT_EQ((*nimbus_->client().status("words"))["status"], "active");
  auto refusals = audited("principal", "vic");
  EXPECT_EQ(refusals.size(), changes.size());
  for (const auto& e : refusals) EXPECT_EQ(e["status"], 403) << e.dump();
}

// A topology's config values whose keys name a secret are shown as "******" (to every role),
// the others as given; the workers still get them (the record keeps them).
TEST_F(SecurityTest, StatusShowsNoSecretFromATopologysConfig) {
  start();
  ASSERT_TRUE(submit(nimbus_->client(), "words",
                     {{"redis.password", "hunter2"},
                      {"sms.gateway.api-key", "k-123"},
                      {"kafka.sasl.jaas.config", "org.apache...required password=\"x\";"},
                      {"risk.rules.file", "/etc/rules.yaml"}})
                  .ok());
  for (const auto& client : {nimbus_->client(), as("vic", Role::viewer)}) {
    auto status = client.status("words");
    ASSERT_TRUE(status.ok()) << status.error().message;
    const auto& config = (*status)["config"];
    EXPECT_EQ(config["redis.password"], "******");
    EXPECT_EQ(config["sms.gateway.api-key"], "******");
    EXPECT_EQ(config["kafka.sasl.jaas.config"], "******");
    EXPECT_EQ(config["risk.rules.file"], "/etc/rules.yaml");
    EXPECT_EQ(status->dump().find("hunter2"), std::string::npos);
  }
  auto ids = state_.topology_ids();
  ASSERT_TRUE(ids.ok() && ids->size() == 1);
  EXPECT_EQ((*state_.topology(ids->front()))->config.at("redis.password"), "hunter2");
}

// No change goes ahead unheard: once an audit line could not be written (here the file may not
// grow: RLIMIT_FSIZE), state changes are refused with 503 naming the audit log until a line
// saying the log works again ("audit.resumed") is on disk. Reads go on.
TEST_F(SecurityTest, NoChangeGoesAheadWhileTheAuditLogCannotBeWritten) {
  start();
  auto admin = nimbus_->client();
  ASSERT_TRUE(submit(admin, "words").ok());
  const auto log = dir_.path() / "audit" / "audit.log";
  struct sigaction ignore {};
  struct sigaction before {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &before), 0);
  rlimit unlimited{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &unlimited), 0);
  rlimit full{static_cast<rlim_t>(std::filesystem::file_size(log)), unlimited.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &full), 0);

  EXPECT_TRUE(admin.deactivate("words").ok());  // made; its line could not be written
  auto refused = admin.activate("words");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("audit log cannot be written"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ((*admin.status("words"))["status"], "inactive");
  EXPECT_TRUE(admin.list().ok());

  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &unlimited), 0);
  ::sigaction(SIGXFSZ, &before, nullptr);
  EXPECT_TRUE(admin.activate("words").ok());
  EXPECT_EQ((*admin.status("words"))["status"], "active");
  EXPECT_EQ(audited("action", "audit.resumed").size(), 1u);
  EXPECT_EQ(audited("action", "activate").size(), 1u);
}

// A deployer controls what it submitted and what topology.users grants it, nothing else.
TEST_F(SecurityTest, ADeployerControlsItsOwnTopologiesAndThoseItIsGranted) {
  start();
  auto alice = as("alice", Role::deployer);
  auto bob = as("bob", Role::deployer);
  auto carol = as("carol", Role::deployer);
  ASSERT_TRUE(submit(alice, "payments", {{"topology.users", "carol"}}).ok());
  auto status = alice.status("payments");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["owner"], "alice");

  auto refused = bob.kill("payments", 0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), NimbusErrc::forbidden);
  EXPECT_NE(refused.error().message.find("owned by 'alice'"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(bob.put_blob("payments", "rules", "x").ok());
  EXPECT_TRUE(bob.status("payments").ok());  // reading is every role's
  EXPECT_FALSE(bob.create_token("mallory", "admin").ok());

  EXPECT_TRUE(carol.deactivate("payments").ok());  // granted by topology.users
  EXPECT_TRUE(alice.activate("payments").ok());
  EXPECT_TRUE(alice.kill("payments", 0).ok());
  EXPECT_EQ(audited("principal", "alice").back()["action"], "kill");

  auto bad_grant = submit(alice, "other", {{"topology.users", "bob, ../root"}});
  ASSERT_FALSE(bad_grant.ok());
  EXPECT_EQ(bad_grant.code(), NimbusErrc::bad_request);
  EXPECT_NE(bad_grant.error().message.find("topology.users"), std::string::npos)
      << bad_grant.error().message;
}

// The supervisors' role downloads artifacts and does nothing else.
TEST_F(SecurityTest, TheSupervisorRoleOnlyDownloadsArtifacts) {
  start();
  ASSERT_TRUE(submit(nimbus_->client(), "words").ok());
  auto ids = state_.topology_ids();
  ASSERT_TRUE(ids.ok() && ids->size() == 1);
  auto sha = (*state_.topology(ids->front()))->artifact_sha256;
  auto supervisor = as("sup-a", Role::supervisor);
  auto file = dir_.path() / "artifact.so";
  ASSERT_TRUE(supervisor.download("/api/v1/artifacts/" + sha, file, 1 << 20).ok());
  std::ifstream in(file);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "not really a shared library");
  EXPECT_EQ(supervisor.list().code(), NimbusErrc::forbidden);
  EXPECT_EQ(supervisor.kill("words", 0).code(), NimbusErrc::forbidden);
}

// Tokens: issued once (only the hash is stored), one per principal, revoked at once.
TEST_F(SecurityTest, AdminIssuesListsAndRevokesTokens) {
  start();
  auto admin = nimbus_->client();
  auto issued = admin.create_token("dora", "deployer");
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  const std::string token = (*issued)["token"];
  EXPECT_EQ(token.rfind("dora.", 0), 0u);
  auto stored = state_.token("dora");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((**stored).sha256, secret_hash(split_token(token)->secret));
  EXPECT_EQ(token.find((**stored).sha256), std::string::npos);  // the hash is not the secret

  auto dora = nimbus_->client_with(token);
  auto who = dora.whoami();
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(*who, (json{{"principal", "dora"}, {"role", "deployer"}}));
  auto listed = admin.tokens();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->dump().find(token.substr(5)), std::string::npos);  // never the secret

  auto bad_role = admin.create_token("x", "root");
  ASSERT_FALSE(bad_role.ok());
  EXPECT_NE(bad_role.error().message.find("root"), std::string::npos);
  auto bad_name = admin.create_token("../x", "viewer");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.code(), NimbusErrc::bad_request);

  auto renewed = admin.create_token("dora", "viewer");  // replaces the first token
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(dora.whoami().code(), NimbusErrc::unauthenticated);
  ASSERT_TRUE(admin.revoke_token("dora").ok());
  EXPECT_EQ(nimbus_->client_with((*renewed)["token"]).whoami().code(), NimbusErrc::unauthenticated);
  EXPECT_EQ(audited("action", "token.revoke").size(), 1u);
}

// A principal over nimbus.requests.per.sec gets 429; an address that keeps failing to
// authenticate is held off, even if it then shows a good token, until its bucket refills.
TEST_F(SecurityTest, CallersOverTheirRateAreTurnedAwayWith429) {
  start({{"nimbus.requests.per.sec", "5"}});
  auto viewer = as("vic", Role::viewer);
  int too_many = 0;
  for (int i = 0; i < 40; ++i)
    if (viewer.list().code() == NimbusErrc::too_many_requests) ++too_many;
  EXPECT_GT(too_many, 20);

  auto guesser = nimbus_->client_with("admin." + std::string(64, '1'));
  for (int i = 0; i < 40; ++i) (void)guesser.list();
  auto held = nimbus_->client().list();
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.code(), NimbusErrc::too_many_requests);
  EXPECT_NE(held.error().message.find("failed authentications"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return nimbus_->client().list().ok(); }, std::chrono::seconds(5)));
  // The guesses are audited only while the address had room (its bucket holds 10), and no 429
  // is: a flood cannot fill the log.
  std::size_t guesses = 0;
  for (const auto& e : audited("outcome", "refused")) {
    EXPECT_NE(e["status"], 429) << e.dump();
    if (e["status"] == 401) ++guesses;
  }
  EXPECT_GE(guesses, 10u);
  EXPECT_LE(guesses, 20u);
}

TEST_F(SecurityTest, WithSecurityOnNimbusWillNotStartWithoutACertificate) {
  NimbusOptions options;
  ASSERT_TRUE(options.config.set(conf::kStormLocalDir, dir_.path().string()));
  options.inspector = inspector_.inspector();
  auto started = Nimbus::start(store_, std::move(options));
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("nimbus.tls.cert.file"), std::string::npos)
      << started.error().message;
  EXPECT_NE(started.error().message.find("make-tls.sh"), std::string::npos);
}

// security.enabled=false is a deliberate choice for a sandbox: every caller is the admin
// "anonymous", and the audit log still says what was done.
TEST_F(SecurityTest, WithSecurityOffEveryCallerIsTheAnonymousAdmin) {
  start({{"security.enabled", "false"}});
  auto anyone = nimbus_->client_with("");
  auto who = anyone.whoami();
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ((*who)["principal"], "anonymous");
  ASSERT_TRUE(submit(anyone, "words").ok());
  EXPECT_EQ(audited("principal", "anonymous").front()["action"], "submit");
}

TEST(RateLimiterTest, RefillsAtItsRateUpToTwiceIt) {
  RateLimiter limiter(10);
  auto t0 = RateLimiter::Clock::now();
  int taken = 0;
  while (limiter.take("k", t0)) ++taken;
  EXPECT_EQ(taken, 20);
  EXPECT_FALSE(limiter.has_room("k", t0));
  EXPECT_TRUE(limiter.has_room("other", t0));
  EXPECT_TRUE(limiter.take("k", t0 + std::chrono::milliseconds(110)));
  EXPECT_FALSE(limiter.take("k", t0 + std::chrono::milliseconds(110)));
}

TEST(AuditLogTest, KeepsEntriesAcrossRotationsAndReadsThemBackInOrder) {
  TempDir dir;
  auto log = AuditLog::open({dir.path() / "audit", 300, 3});
  ASSERT_TRUE(log.ok()) << log.error().message;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE((*log)->append(json{{"n", i}, {"pad", "0123456789"}}));
  EXPECT_EQ(std::filesystem::status((*log)->path()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "audit" / "audit.log.3"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "audit" / "audit.log.4"));
  auto recent = (*log)->recent(5);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*recent)[i]["n"], 55 + i);
}

}  // namespace
}  // namespace gale::nimbus::testing
