// The whole supervisor against a real ZooKeeper server, the in-test artifact server standing in
// for Nimbus, and tests/fake_worker.cc standing in for gale-worker.
#include "gale/supervisor/supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "artifact_server.h"
#include "artifact_store.h"
#include "gale/coordination/cluster_state.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/testing/zookeeper_server.h"
#include "test_support.h"

namespace gale::supervisor {
namespace {

using namespace std::chrono_literals;
using coordination::Assignment;
using coordination::ClusterState;
using coordination::TopologyRecord;
using coordination::ZooKeeperStore;
using testing::eventually;

constexpr const char* kTopology = "word_count-1-1700000000";
constexpr const char* kArtifactBytes = "pretend this is a topology .so";

class SupervisorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { zookeeper_ = new coordination::testing::ZooKeeperServer(); }
  static void TearDownTestSuite() {
    delete zookeeper_;
    zookeeper_ = nullptr;
  }

  void SetUp() override {
    const std::string root =
        "/" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    coordination::ZooKeeperOptions options;
    options.connect_string = zookeeper_->connect_string();
    options.root = root;
    auto store = ZooKeeperStore::connect(options);
    ASSERT_TRUE(store) << store.error().message;
    observer_store_ = std::move(store).value();
    observer_.emplace(*observer_store_);
    ASSERT_TRUE(observer_->init());

    settings_.id = "sup-a";
    settings_.host = "127.0.0.1";
    settings_.ports = {6700, 6701};
    settings_.local_dir = dir_.path() / "local";
    settings_.zookeeper = options;
    settings_.nimbus = {"127.0.0.1", nimbus_.port(), {}, {}, std::chrono::seconds(5)};
    settings_.worker_bin = GALE_FAKE_WORKER;
    settings_.worker_settings = {"storm.zookeeper.root=" + root};
    settings_.resync_period = 500ms;
    settings_.kill_grace = 1s;
    settings_.download_timeout = 2s;
    settings_.artifact_retry = 500ms;

    std::ofstream(dir_.path() / "artifact.so") << kArtifactBytes;
    sha256_ = sha256_of_file(dir_.path() / "artifact.so").value();
  }

  void TearDown() override {
    supervisor_.reset();
    observer_.reset();
    observer_store_.reset();
  }

  void start_supervisor() {
    auto started = Supervisor::start(settings_);
    ASSERT_TRUE(started) << started.error().message;
    supervisor_ = std::move(started).value();
  }

  // Topology kTopology with tasks 1-2 on this supervisor's slot `port`, task 3 elsewhere.
  void assign(int port) {
    TopologyRecord record{
        kTopology, "word_count", coordination::TopologyStatus::active, {}, sha256_, 2, "alice"};
    ASSERT_TRUE(observer_->set_topology(record));
    Assignment assignment{kTopology,
                          {{1, {"sup-a", "127.0.0.1", port}},
                           {2, {"sup-a", "127.0.0.1", port}},
                           {3, {"sup-b", "127.0.0.2", 6701}}},
                          {{1, 1}, {2, 2}, {3, 3}},
                          1700000000};
    ASSERT_TRUE(observer_->set_assignment(assignment));
  }

  std::optional<testing::FakeWorkerRecord> record(int port) {
    return testing::read_record(dir_.path(), port);
  }

  static coordination::testing::ZooKeeperServer* zookeeper_;
  testing::TempDir dir_;
  testing::ScopedEnv record_dir_{"GALE_FAKE_WORKER_DIR", dir_.path().string()};
  testing::ArtifactServer nimbus_;
  std::unique_ptr<ZooKeeperStore> observer_store_;
  std::optional<ClusterState> observer_;
  SupervisorSettings settings_;
  std::string sha256_;
  std::unique_ptr<Supervisor> supervisor_;
};

coordination::testing::ZooKeeperServer* SupervisorTest::zookeeper_ = nullptr;

TEST_F(SupervisorTest, RegistersItsSlotsAndTheNodeGoesWhenItStops) {
  start_supervisor();
  auto supervisors = observer_->supervisors();
  ASSERT_TRUE(supervisors);
  ASSERT_EQ(supervisors->size(), 1u);
  EXPECT_EQ(supervisors->front().id, "sup-a");
  EXPECT_EQ(supervisors->front().host, "127.0.0.1");
  EXPECT_EQ(supervisors->front().ports, (std::vector<int>{6700, 6701}));
  supervisor_->stop();
  EXPECT_TRUE(eventually([&] {
    auto now = observer_->supervisors();
    return now && now->empty();
  }));
}

TEST_F(SupervisorTest, AssignedSlotRunsAWorkerWithTheContractedArgvAndLog) {
  nimbus_.put(sha256_, kArtifactBytes);
  start_supervisor();
  assign(6700);
  ASSERT_TRUE(eventually([&] { return record(6700).has_value(); }));
  const auto artifact = settings_.local_dir / "artifacts" / (sha256_ + ".so");
  const std::vector<std::string> expected = {GALE_FAKE_WORKER,
                                             "run",
                                             "--topology-id",
                                             kTopology,
                                             "--supervisor-id",
                                             "sup-a",
                                             "--host",
                                             "127.0.0.1",
                                             "--port",
                                             "6700",
                                             "--artifact",
                                             artifact.string(),
                                             "-c",
                                             settings_.worker_settings.front()};
  EXPECT_EQ(record(6700)->argv, expected);
  EXPECT_EQ(testing::read_text(artifact), kArtifactBytes);
  EXPECT_FALSE(record(6701).has_value());  // task 3's slot belongs to another supervisor
  const auto log = settings_.local_dir / "logs" / (std::string(kTopology) + "-6700.log");
  EXPECT_TRUE(eventually([&] {
    const auto text = testing::read_text(log);
    return text.find("port 6700: stdout") != std::string::npos &&
           text.find("port 6700: stderr") != std::string::npos;
  }));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(settings_.local_dir / "logs"),
                          std::filesystem::directory_iterator{}),
            1);
  // Logs may hold customers' data: the folder and each log are the supervisor's user's alone.
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::status(settings_.local_dir / "logs").permissions(), fs::perms::owner_all);
  EXPECT_EQ(fs::status(log).permissions(), fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(SupervisorTest, KilledWorkerIsRelaunchedWithinSeconds) {
  nimbus_.put(sha256_, kArtifactBytes);
  start_supervisor();
  assign(6700);
  ASSERT_TRUE(eventually([&] { return record(6700).has_value(); }));
  const pid_t first = record(6700)->pid;
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return record(6700) && record(6700)->pid != first; }, 3s));
  EXPECT_TRUE(testing::process_alive(record(6700)->pid));
  EXPECT_EQ(supervisor_->workers().at(6700), record(6700)->pid);
}

TEST_F(SupervisorTest, RemovedAssignmentKillsTheWorker) {
  nimbus_.put(sha256_, kArtifactBytes);
  start_supervisor();
  assign(6700);
  ASSERT_TRUE(eventually([&] { return record(6700).has_value(); }));
  const pid_t pid = record(6700)->pid;
  ASSERT_TRUE(observer_->remove_assignment(kTopology));
  EXPECT_TRUE(eventually([&] { return !testing::process_alive(pid); }, 3s));
  EXPECT_TRUE(supervisor_->workers().empty());
}

TEST_F(SupervisorTest, ArtifactWithWrongBytesIsRefusedReportedAndRetried) {
  nimbus_.put(sha256_, "tampered bytes");
  start_supervisor();
  assign(6700);
  ASSERT_TRUE(eventually([&] {
    auto errors = observer_->errors(kTopology, "__supervisor");
    return errors && !errors->empty();
  }));
  const auto error = observer_->errors(kTopology, "__supervisor")->front();
  EXPECT_NE(error.message.find("refused"), std::string::npos) << error.message;
  EXPECT_EQ(error.port, 6700);
  EXPECT_FALSE(record(6700).has_value());
  EXPECT_TRUE(supervisor_->workers().empty());
  EXPECT_FALSE(std::filesystem::exists(settings_.local_dir / "artifacts" / (sha256_ + ".so")));

  nimbus_.put(sha256_, kArtifactBytes);  // Nimbus serves the right bytes now: retried
  EXPECT_TRUE(eventually([&] { return record(6700).has_value(); }));
}

TEST_F(SupervisorTest, FailsToStartWithoutZooKeeper) {
  settings_.zookeeper.connect_string = "127.0.0.1:1";
  settings_.zookeeper.operation_timeout = 1s;
  auto started = Supervisor::start(settings_);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.code(), SupervisorErrc::zookeeper);
}

}  // namespace
}  // namespace gale::supervisor
