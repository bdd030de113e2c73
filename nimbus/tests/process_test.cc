// gale-nimbus and the `gale` CLI as real processes over a real ZooKeeper server, secured as in
// production (HTTPS, tokens): the CLI verbs end to end, their one-line errors, a Nimbus restart
// that loses nothing, and what a caller without a token or with the wrong CA gets.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <thread>

#include "child_process.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/testing/zookeeper_server.h"
#include "nimbus_fixture.h"

namespace gale::nimbus::testing {
namespace {

// The cluster's ZooKeeper identity (storm.zookeeper.auth.payload), which Nimbus requires while
// security is on.
const std::string kZooKeeperAuth = "gale:process-test";

// gale-nimbus as a child process, stopped with SIGTERM (then SIGKILL) on destruction.
class NimbusProcess {
 public:
  NimbusProcess(const std::string& zookeeper, const std::filesystem::path& local_dir, int port,
                const gale::testing::TlsFiles& tls)
      : port_(port), ca_(tls.ca) {
    std::vector<std::string> argv{(kBinDir / "gale-nimbus").string(),
                                  "-c",
                                  "storm.zookeeper.servers=" + zookeeper,
                                  "-c",
                                  "storm.local.dir=" + local_dir.string(),
                                  "-c",
                                  "nimbus.port=" + std::to_string(port),
                                  "-c",
                                  "storm.zookeeper.auth.payload=" + kZooKeeperAuth,
                                  "-c",
                                  "nimbus.tls.cert.file=" + tls.cert.string(),
                                  "-c",
                                  "nimbus.tls.key.file=" + tls.key.string(),
                                  "--log-level",
                                  "warn"};
    try {
      SpawnOptions options;
      options.argv = argv;
      // A secret in Nimbus's environment, which the topologies it inspects must not see.
      std::vector<std::string> env{"GALE_TOKEN=nimbus-environment-secret"};
      for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
      options.env = std::move(env);
      options.die_with_parent = true;
      process_ = spawn(options);
    } catch (const SpawnError&) {
      throw std::runtime_error("cannot start gale-nimbus");
    }
  }
  ~NimbusProcess() { stop(); }

  void stop() {
    process_.send_signal(SIGTERM);
    process_.wait();
    process_ = Process();
  }

  // The health check: the one route that needs no token.
  bool answers() const {
    auto health = NimbusClient({"127.0.0.1", port_, "", ca_, std::chrono::seconds(2)})
                      .request("GET", "/api/v1/health");
    return health.ok() && health->status == 200;
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::filesystem::path ca_;
  Process process_;
};

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

CliRun gale(std::vector<std::string> args) {
  args.insert(args.begin(), (kBinDir / "gale").string());
  auto run = run_child(args, std::chrono::seconds(30));
  EXPECT_TRUE(run.ok());
  return run.ok() ? CliRun{run->exit_code, run->out, run->err} : CliRun{-1, "", ""};
}

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class ProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { zookeeper_ = new coordination::testing::ZooKeeperServer(); }
  static void TearDownTestSuite() {
    delete zookeeper_;
    zookeeper_ = nullptr;
  }

  void SetUp() override {
    coordination::ZooKeeperOptions options;
    options.connect_string = zookeeper_->connect_string();
    options.root = "/gale";
    options.auth_payload = kZooKeeperAuth;
    // The suite's ZooKeeper has just started: its first connection has been seen dropped
    // ("Host is down") before the credentials could be queued on the handle (CI, under load).
    // A new connection then succeeds; the test is about Nimbus and the CLI, not that.
    auto store = coordination::ZooKeeperStore::connect(options);
    for (int attempt = 1; !store.ok() && attempt < 5; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      store = coordination::ZooKeeperStore::connect(options);
    }
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    state_ = std::make_unique<coordination::ClusterState>(*store_);
    ASSERT_TRUE(state_->init().ok());
    ASSERT_TRUE(state_->register_supervisor(supervisor("sup-a", {7101, 7102})).ok());
    port_ = free_port();
    tls_ = gale::testing::make_tls_files(dir_.path() / "tls");
    auto admin = issue_token(*state_, "admin", Role::admin, 1700000000);
    ASSERT_TRUE(admin.ok()) << admin.error().message;
    cli_yaml_ = write_cli_config("admin", admin->token, tls_.ca);
    start_nimbus();
  }

  // A gale-nimbus expected to refuse to start: on this suite's ZooKeeper with TLS, a free port,
  // <dir>/<local_dir> and `settings` ("key=value"); run to its end.
  auto run_refused_nimbus(const std::string& local_dir, const std::vector<std::string>& settings) {
    std::vector<std::string> argv{(kBinDir / "gale-nimbus").string(),
                                  "-c",
                                  "storm.zookeeper.servers=" + zookeeper_->connect_string(),
                                  "-c",
                                  "storm.local.dir=" + (dir_.path() / local_dir).string(),
                                  "-c",
                                  "nimbus.port=" + std::to_string(free_port()),
                                  "-c",
                                  "nimbus.tls.cert.file=" + tls_.cert.string(),
                                  "-c",
                                  "nimbus.tls.key.file=" + tls_.key.string()};
    for (const auto& setting : settings) argv.insert(argv.end(), {"-c", setting});
    return run_child(argv, std::chrono::seconds(30));
  }

  // A gale.yaml for the CLI as an operator writes it: the CA and a token file (0600).
  std::string write_cli_config(const std::string& name, const std::string& token,
                               const std::filesystem::path& ca) {
    auto token_file = dir_.path() / (name + ".token");
    std::ofstream(token_file) << token << "\n";
    std::filesystem::permissions(
        token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto yaml = dir_.path() / (name + ".yaml");
    std::ofstream(yaml) << "security.tls.ca.file: " << ca.string() << "\n"
                        << "security.token.file: " << token_file.string() << "\n";
    return yaml.string();
  }

  void start_nimbus() {
    nimbus_ =
        std::make_unique<NimbusProcess>(zookeeper_->connect_string(), dir_.path(), port_, tls_);
    ASSERT_TRUE(eventually([&] { return nimbus_->answers(); }, std::chrono::seconds(15)));
  }

  static coordination::testing::ZooKeeperServer* zookeeper_;
  TempDir dir_;
  std::unique_ptr<coordination::ZooKeeperStore> store_;
  std::unique_ptr<coordination::ClusterState> state_;
  int port_ = 0;
  gale::testing::TlsFiles tls_;
  std::string cli_yaml_;  // the admin's CLI configuration
  std::unique_ptr<NimbusProcess> nimbus_;
};

coordination::testing::ZooKeeperServer* ProcessTest::zookeeper_ = nullptr;

TEST_F(ProcessTest, CliVerbsDriveATopologyAndARestartLosesNothing) {
  auto so = (kTopologyDir / "word_count.so").string();
  auto nimbus = nimbus_->address();
  auto submitted = gale({"submit", so, "--name", "words", "-c", "topology.workers=2", "--nimbus",
                         nimbus, "--config", cli_yaml_});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  EXPECT_NE(submitted.out.find("words-"), std::string::npos) << submitted.out;

  auto listed = gale({"list", "--nimbus", nimbus, "--config", cli_yaml_});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("words"), std::string::npos);
  EXPECT_NE(listed.out.find("active"), std::string::npos);

  auto ids = state_->topology_ids();
  ASSERT_TRUE(ids.ok() && ids->size() == 1);
  auto before = state_->assignment(ids->front());
  ASSERT_TRUE(before.ok() && before->has_value());

  // Restart: same assignment, same answers.
  nimbus_->stop();
  auto unreachable = gale({"list", "--nimbus", nimbus, "--config", cli_yaml_});
  EXPECT_NE(unreachable.exit_code, 0);
  EXPECT_EQ(line_count(unreachable.err), 1) << unreachable.err;
  EXPECT_NE(unreachable.err.find(nimbus), std::string::npos) << unreachable.err;
  start_nimbus();
  auto after = state_->assignment(ids->front());
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ(**after, **before);
  auto status = gale({"status", "words", "--nimbus", nimbus, "--config", cli_yaml_});
  EXPECT_EQ(status.exit_code, 0) << status.err;

  EXPECT_EQ(gale({"deactivate", "words", "--nimbus", nimbus, "--config", cli_yaml_}).exit_code, 0);
  EXPECT_EQ((*state_->topology(ids->front()))->status, coordination::TopologyStatus::inactive);
  EXPECT_EQ(gale({"activate", "words", "--nimbus", nimbus, "--config", cli_yaml_}).exit_code, 0);
  auto killed = gale({"kill", "words", "-w", "0", "--nimbus", nimbus, "--config", cli_yaml_});
  EXPECT_EQ(killed.exit_code, 0) << killed.err;
  EXPECT_TRUE(eventually([&] { return state_->topology_ids()->empty(); }));
}

TEST_F(ProcessTest, CliErrorsAreOneLineNamingTheProblem) {
  auto nimbus = nimbus_->address();
  auto unknown = gale({"kill", "nope", "--nimbus", nimbus, "--config", cli_yaml_});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(line_count(unknown.err), 1) << unknown.err;
  EXPECT_NE(unknown.err.find("nope"), std::string::npos) << unknown.err;

  auto bad_flag =
      gale({"rebalance", "words", "-e", "split", "--nimbus", nimbus, "--config", cli_yaml_});
  EXPECT_NE(bad_flag.exit_code, 0);
  EXPECT_NE(bad_flag.err.find("split"), std::string::npos) << bad_flag.err;

  auto bad_address = gale({"list", "--nimbus", "nowhere"});
  EXPECT_EQ(bad_address.exit_code, 2);
  EXPECT_NE(bad_address.err.find("nowhere"), std::string::npos) << bad_address.err;

  auto bad_key = gale({"submit", (kTopologyDir / "word_count.so").string(), "--name", "w", "-c",
                       "topology.wokers=2", "--nimbus", nimbus, "--config", cli_yaml_});
  EXPECT_NE(bad_key.exit_code, 0);
  EXPECT_NE(bad_key.err.find("topology.wokers"), std::string::npos) << bad_key.err;
  EXPECT_TRUE(state_->topology_ids()->empty());

  auto not_so = gale({"submit", (kBinDir / "gale").string() + ".missing", "--name", "w", "--nimbus",
                      nimbus, "--config", cli_yaml_});
  EXPECT_EQ(not_so.exit_code, 1);
  EXPECT_EQ(line_count(not_so.err), 1) << not_so.err;
}

// Every flag the CLI cannot parse exits 2 (not CLI11's 105, 106, 109, ...) with one line naming
// the flag, and a numeric range is printed as the range, not as 300 digits of a double.
TEST_F(ProcessTest, CliParseErrorsExitTwoNamingTheFlag) {
  auto nimbus = nimbus_->address();
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"rebalance", "words", "-n", "abc"},
                                             {"rebalance", "words", "-n", "0"},
                                             {"rebalance", "words", "-n", "4294967298"},
                                             {"kill", "words", "-w", "-1"},
                                             {"kill"},
                                             {"status", "words", "--no-such-flag"},
                                             {"no-such-verb"}}) {
    auto with_nimbus = args;
    with_nimbus.insert(with_nimbus.end(), {"--nimbus", nimbus, "--config", cli_yaml_});
    auto run = gale(with_nimbus);
    std::string shown = args[0] + " " + (args.size() > 1 ? args.back() : "");
    EXPECT_EQ(run.exit_code, 2) << shown << ": " << run.err;
    EXPECT_EQ(run.err.rfind("gale: ", 0), 0u) << shown << ": " << run.err;
    EXPECT_LT(run.err.size(), 200u) << shown << ": " << run.err;
  }
  auto range = gale({"rebalance", "words", "-n", "abc", "--nimbus", nimbus, "--config", cli_yaml_});
  EXPECT_NE(range.err.find("--num-workers"), std::string::npos) << range.err;
  auto help = gale({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  auto version = gale({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("gale ", 0), 0u) << version.out;
}

// Processes named `name` that are alive (a zombie is not).
int living_processes(const std::string& name) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // "<pid> (<comm>) <state> ..."
    auto open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= text.size())
      continue;
    if (text.substr(open + 1, close - open - 1) == name && text[close + 2] != 'Z') ++n;
  }
  return n;
}

// What the constructor-only library reports, checked against what the sandbox must leave it:
// no network, a PID namespace of its own, its own copy only, none of Nimbus's environment, no
// file outside what loading needs (the probe stands for Gale's configuration), not root, and no
// process of its outliving the inspection.
void expect_confined(const std::string& report) {
  EXPECT_NE(report.find("constructor ran:"), std::string::npos) << report;
  EXPECT_NE(report.find("pid=1 "), std::string::npos) << report;
  EXPECT_NE(report.find("fork=ok "), std::string::npos) << report;  // so its leftover is checked
  EXPECT_NE(report.find("connect=EACCES"), std::string::npos) << report;  // no socket at all
  EXPECT_NE(report.find("cwd=1 "), std::string::npos) << report;          // only its own copy
  EXPECT_NE(report.find("token=0"), std::string::npos) << report;
  EXPECT_NE(report.find("read=EACCES"), std::string::npos) << report;
  EXPECT_NE(report.find("write=EACCES"), std::string::npos) << report;
  if (::geteuid() == 0) {
    EXPECT_EQ(report.find("uid=0 "), std::string::npos) << report;
  }
  EXPECT_EQ(living_processes("gale-leftover"), 0);
  EXPECT_FALSE(std::filesystem::exists(GALE_CONSTRUCTOR_PROBE ".written"));
}

// The attack of issue 9: a library whose only content is a constructor. Uploaded by someone
// without a token (or with a bad one), it is refused before anything looks at it: nothing is
// stored, and each refusal is one line naming the problem (had the library been inspected, the
// refusal would be its report). Uploaded by an admin, it is inspected in the sandbox, and its
// report, relayed as the refusal, shows what the sandbox left it.
TEST_F(ProcessTest, AnUploadRunsNothingWithoutATokenAndOnlyInTheSandboxWithOne) {
  const std::filesystem::path probe = GALE_CONSTRUCTOR_PROBE;
  std::ofstream(probe) << "storm.zookeeper.auth.payload: gale:secret\n";
  std::filesystem::permissions(
      probe, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                 std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  std::filesystem::remove(GALE_CONSTRUCTOR_PROBE ".written");
  const auto attack = (kTopologyDir / "test_constructor_marker.so").string();
  // The control: loading the library does run its constructor, here in inspect's sandbox.
  auto control =
      run_child({(kBinDir / "gale-worker").string(), "inspect", attack}, std::chrono::seconds(30));
  ASSERT_TRUE(control.ok());
  EXPECT_EQ(control->exit_code, 3) << control->err;
  expect_confined(control->err);

  auto anonymous = NimbusClient({"127.0.0.1", port_, "", tls_.ca, std::chrono::seconds(10)});
  std::ifstream in(attack, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto raw = anonymous.request("POST", "/api/v1/topologies", bytes);
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_EQ(raw->status, 401) << raw->body;
  EXPECT_EQ(raw->body.find("constructor ran"), std::string::npos) << raw->body;
  auto forged = NimbusClient({"127.0.0.1", port_, "admin." + std::string(64, '0'), tls_.ca,
                              std::chrono::seconds(10)})
                    .submit("evil", {}, bytes);
  EXPECT_FALSE(forged.ok());
  EXPECT_EQ(forged.code(), NimbusErrc::unauthenticated);

  auto nimbus = nimbus_->address();
  auto no_token_yaml = dir_.path() / "no-token.yaml";
  std::ofstream(no_token_yaml) << "security.tls.ca.file: " << tls_.ca.string() << "\n";
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"submit", attack, "--name", "evil"},
                                             {"list"},
                                             {"kill", "words"},
                                             {"status", "words"}}) {
    auto with = args;
    with.insert(with.end(), {"--nimbus", nimbus, "--config", no_token_yaml.string()});
    auto run = gale(with);
    EXPECT_EQ(run.exit_code, 1) << args[0] << ": " << run.err;
    EXPECT_EQ(line_count(run.err), 1) << args[0] << ": " << run.err;
    EXPECT_NE(run.err.find("token"), std::string::npos) << args[0] << ": " << run.err;
    EXPECT_EQ(run.err.find("constructor ran"), std::string::npos) << args[0] << ": " << run.err;
  }
  EXPECT_TRUE(state_->topology_ids()->empty());

  auto admitted =
      gale({"submit", attack, "--name", "evil", "--nimbus", nimbus, "--config", cli_yaml_});
  EXPECT_EQ(admitted.exit_code, 1);
  EXPECT_EQ(line_count(admitted.err), 1) << admitted.err;
  expect_confined(admitted.err);
  EXPECT_TRUE(state_->topology_ids()->empty());
  std::filesystem::remove(probe);
}

// Security needs ZooKeeper's ACL as well as tokens: without a digest identity anyone who reaches
// ZooKeeper could write a token, so Nimbus refuses to start, naming the key.
TEST_F(ProcessTest, WithSecurityOnNimbusRefusesToStartOnOpenZooKeeperNodes) {
  auto run = run_refused_nimbus("open", {});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_NE((run->out + run->err).find("storm.zookeeper.auth.payload"), std::string::npos)
      << run->out << run->err;
}

// Nodes made while the cluster had no ZooKeeper identity keep their open ACL when one is set
// later: Nimbus refuses to start on them, naming the root and the open nodes.
TEST_F(ProcessTest, NimbusRefusesToStartOnNodesMadeBeforeTheIdentity) {
  coordination::ZooKeeperOptions open_options;
  open_options.connect_string = zookeeper_->connect_string();
  open_options.root = "/gale-made-open";
  auto open_store = coordination::ZooKeeperStore::connect(open_options);
  ASSERT_TRUE(open_store) << open_store.error().message;
  coordination::ClusterState open_state(**open_store);
  ASSERT_TRUE(open_state.init());
  auto run = run_refused_nimbus("made-open", {"storm.zookeeper.root=/gale-made-open",
                                              "storm.zookeeper.auth.payload=" + kZooKeeperAuth});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1);
  const auto said = run->out + run->err;
  EXPECT_NE(said.find("open to every client"), std::string::npos) << said;
  EXPECT_NE(said.find("/gale-made-open"), std::string::npos) << said;
  EXPECT_NE(said.find("/tokens"), std::string::npos) << said;
}

// The CLI checks whom it talks to: a CA that did not sign Nimbus's certificate, or no CA at all
// against an HTTPS Nimbus, is one line that says what to fix; there is no "insecure" switch.
TEST_F(ProcessTest, TheCliRefusesANimbusItCannotVerify) {
  auto other = gale::testing::make_tls_files(dir_.path() / "other-tls");
  auto wrong_ca_yaml = write_cli_config("wrong-ca", "admin.x", other.ca);
  auto nimbus = nimbus_->address();
  auto wrong = gale({"list", "--nimbus", nimbus, "--config", wrong_ca_yaml});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(line_count(wrong.err), 1) << wrong.err;
  EXPECT_NE(wrong.err.find("certificate"), std::string::npos) << wrong.err;

  auto plain_yaml = dir_.path() / "plain.yaml";
  std::ofstream(plain_yaml) << "security.token: admin.x\n";
  auto plain = gale({"list", "--nimbus", nimbus, "--config", plain_yaml.string()});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_EQ(line_count(plain.err), 1) << plain.err;
  EXPECT_NE(plain.err.find("security.tls.ca.file"), std::string::npos) << plain.err;
}

// An operator's path: an admin issues a deployer's token with the CLI; the deployer submits and
// sees its own identity; a viewer's token reads but cannot kill; a revoked token is refused;
// the audit log names who did what.
TEST_F(ProcessTest, TokensIssuedByTheCliGrantTheirRoleAndAreAudited) {
  auto nimbus = nimbus_->address();
  auto issued = gale(
      {"token", "create", "dora", "--role", "deployer", "--nimbus", nimbus, "--config", cli_yaml_});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  auto token = issued.out.substr(0, issued.out.find('\n'));
  ASSERT_EQ(token.rfind("dora.", 0), 0u) << issued.out;
  auto dora = write_cli_config("dora", token, tls_.ca);
  auto who = gale({"whoami", "--nimbus", nimbus, "--config", dora});
  EXPECT_EQ(who.exit_code, 0) << who.err;
  EXPECT_NE(who.out.find("deployer"), std::string::npos) << who.out;
  auto submitted = gale({"submit", (kTopologyDir / "word_count.so").string(), "--name", "words",
                         "--nimbus", nimbus, "--config", dora});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;

  auto viewer = gale(
      {"token", "create", "vic", "--role", "viewer", "--nimbus", nimbus, "--config", cli_yaml_});
  ASSERT_EQ(viewer.exit_code, 0) << viewer.err;
  auto vic = write_cli_config("vic", viewer.out.substr(0, viewer.out.find('\n')), tls_.ca);
  EXPECT_EQ(gale({"status", "words", "--nimbus", nimbus, "--config", vic}).exit_code, 0);
  auto refused = gale({"kill", "words", "--nimbus", nimbus, "--config", vic});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(line_count(refused.err), 1) << refused.err;
  EXPECT_NE(refused.err.find("topology.kill"), std::string::npos) << refused.err;
  EXPECT_EQ(state_->topology_ids()->size(), 1u);

  ASSERT_EQ(gale({"token", "revoke", "dora", "--nimbus", nimbus, "--config", cli_yaml_}).exit_code,
            0);
  auto revoked = gale({"kill", "words", "--nimbus", nimbus, "--config", dora});
  EXPECT_EQ(revoked.exit_code, 1) << revoked.out;

  auto audit = gale({"audit", "--nimbus", nimbus, "--config", cli_yaml_});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_NE(audit.out.find("dora"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find(R"("action":"submit")"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("vic"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find(R"("status":403)"), std::string::npos) << audit.out;
}

}  // namespace
}  // namespace gale::nimbus::testing
