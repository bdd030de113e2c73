// gale-nimbus and the `gale` CLI as real processes over a real ZooKeeper server: the CLI
// verbs end to end, their one-line errors, and a Nimbus restart that loses nothing.
#include <signal.h>
#include <sys/wait.h>

#include "child_process.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/testing/zookeeper_server.h"
#include "nimbus_fixture.h"

namespace gale::nimbus::testing {
namespace {

// gale-nimbus as a child process, stopped with SIGTERM (then SIGKILL) on destruction.
class NimbusProcess {
 public:
  NimbusProcess(const std::string& zookeeper, const std::filesystem::path& local_dir, int port)
      : port_(port) {
    std::vector<std::string> argv{(kBinDir / "gale-nimbus").string(),
                                  "-c",
                                  "storm.zookeeper.servers=" + zookeeper,
                                  "-c",
                                  "storm.local.dir=" + local_dir.string(),
                                  "-c",
                                  "nimbus.port=" + std::to_string(port),
                                  "--log-level",
                                  "warn"};
    try {
      SpawnOptions options;
      options.argv = argv;
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

  bool answers() const { return NimbusClient("127.0.0.1", port_).list().ok(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
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
    auto store = coordination::ZooKeeperStore::connect(options);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    state_ = std::make_unique<coordination::ClusterState>(*store_);
    ASSERT_TRUE(state_->init().ok());
    ASSERT_TRUE(state_->register_supervisor(supervisor("sup-a", {7101, 7102})).ok());
    port_ = free_port();
    start_nimbus();
  }

  void start_nimbus() {
    nimbus_ = std::make_unique<NimbusProcess>(zookeeper_->connect_string(), dir_.path(), port_);
    ASSERT_TRUE(eventually([&] { return nimbus_->answers(); }, std::chrono::seconds(15)));
  }

  static coordination::testing::ZooKeeperServer* zookeeper_;
  TempDir dir_;
  std::unique_ptr<coordination::ZooKeeperStore> store_;
  std::unique_ptr<coordination::ClusterState> state_;
  int port_ = 0;
  std::unique_ptr<NimbusProcess> nimbus_;
};

coordination::testing::ZooKeeperServer* ProcessTest::zookeeper_ = nullptr;

TEST_F(ProcessTest, CliVerbsDriveATopologyAndARestartLosesNothing) {
  auto so = (kTopologyDir / "word_count.so").string();
  auto nimbus = nimbus_->address();
  auto submitted =
      gale({"submit", so, "--name", "words", "-c", "topology.workers=2", "--nimbus", nimbus});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  EXPECT_NE(submitted.out.find("words-"), std::string::npos) << submitted.out;

  auto listed = gale({"list", "--nimbus", nimbus});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("words"), std::string::npos);
  EXPECT_NE(listed.out.find("active"), std::string::npos);

  auto ids = state_->topology_ids();
  ASSERT_TRUE(ids.ok() && ids->size() == 1);
  auto before = state_->assignment(ids->front());
  ASSERT_TRUE(before.ok() && before->has_value());

  // Restart: same assignment, same answers.
  nimbus_->stop();
  auto unreachable = gale({"list", "--nimbus", nimbus});
  EXPECT_NE(unreachable.exit_code, 0);
  EXPECT_EQ(line_count(unreachable.err), 1) << unreachable.err;
  EXPECT_NE(unreachable.err.find(nimbus), std::string::npos) << unreachable.err;
  start_nimbus();
  auto after = state_->assignment(ids->front());
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ(**after, **before);
  auto status = gale({"status", "words", "--nimbus", nimbus});
  EXPECT_EQ(status.exit_code, 0) << status.err;

  EXPECT_EQ(gale({"deactivate", "words", "--nimbus", nimbus}).exit_code, 0);
  EXPECT_EQ((*state_->topology(ids->front()))->status, coordination::TopologyStatus::inactive);
  EXPECT_EQ(gale({"activate", "words", "--nimbus", nimbus}).exit_code, 0);
  auto killed = gale({"kill", "words", "-w", "0", "--nimbus", nimbus});
  EXPECT_EQ(killed.exit_code, 0) << killed.err;
  EXPECT_TRUE(eventually([&] { return state_->topology_ids()->empty(); }));
}

TEST_F(ProcessTest, CliErrorsAreOneLineNamingTheProblem) {
  auto nimbus = nimbus_->address();
  auto unknown = gale({"kill", "nope", "--nimbus", nimbus});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(line_count(unknown.err), 1) << unknown.err;
  EXPECT_NE(unknown.err.find("nope"), std::string::npos) << unknown.err;

  auto bad_flag = gale({"rebalance", "words", "-e", "split", "--nimbus", nimbus});
  EXPECT_NE(bad_flag.exit_code, 0);
  EXPECT_NE(bad_flag.err.find("split"), std::string::npos) << bad_flag.err;

  auto bad_address = gale({"list", "--nimbus", "nowhere"});
  EXPECT_EQ(bad_address.exit_code, 2);
  EXPECT_NE(bad_address.err.find("nowhere"), std::string::npos) << bad_address.err;

  auto bad_key = gale({"submit", (kTopologyDir / "word_count.so").string(), "--name", "w", "-c",
                       "topology.wokers=2", "--nimbus", nimbus});
  EXPECT_NE(bad_key.exit_code, 0);
  EXPECT_NE(bad_key.err.find("topology.wokers"), std::string::npos) << bad_key.err;
  EXPECT_TRUE(state_->topology_ids()->empty());

  auto not_so =
      gale({"submit", (kBinDir / "gale").string() + ".missing", "--name", "w", "--nimbus", nimbus});
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
    with_nimbus.insert(with_nimbus.end(), {"--nimbus", nimbus});
    auto run = gale(with_nimbus);
    std::string shown = args[0] + " " + (args.size() > 1 ? args.back() : "");
    EXPECT_EQ(run.exit_code, 2) << shown << ": " << run.err;
    EXPECT_EQ(run.err.rfind("gale: ", 0), 0u) << shown << ": " << run.err;
    EXPECT_LT(run.err.size(), 200u) << shown << ": " << run.err;
  }
  auto range = gale({"rebalance", "words", "-n", "abc", "--nimbus", nimbus});
  EXPECT_NE(range.err.find("--num-workers"), std::string::npos) << range.err;
  auto help = gale({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  auto version = gale({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("gale ", 0), 0u) << version.out;
}

}  // namespace
}  // namespace gale::nimbus::testing
