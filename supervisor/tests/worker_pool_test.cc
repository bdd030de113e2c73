// WorkerPool against a launcher double (exact control of exits and signals) and against real
// child processes (tests/fake_worker.cc through PosixSpawnLauncher).
#include "worker_pool.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "test_support.h"

namespace gale::supervisor {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

// What the test sees of one child the double "started". Thread-safe.
struct FakeChildState {
  std::mutex mutex;
  std::vector<int> signals;
  bool exited = false;
  int status = 0;
  bool obeys_sigterm = true;
  UniqueFd exit_fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};

  void exit_with(int wait_status) {
    std::lock_guard lock(mutex);
    if (exited) return;
    exited = true;
    status = wait_status;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(exit_fd.get(), &one, sizeof one);
  }
  bool received(int signal) {
    std::lock_guard lock(mutex);
    return std::find(signals.begin(), signals.end(), signal) != signals.end();
  }
};

class FakeChild final : public ChildProcess {
 public:
  FakeChild(pid_t pid, std::shared_ptr<FakeChildState> state)
      : pid_(pid), state_(std::move(state)) {}
  pid_t pid() const override { return pid_; }
  int exit_fd() const override { return state_->exit_fd.get(); }
  void send_signal(int signal) override {
    bool dies = false;
    {
      std::lock_guard lock(state_->mutex);
      state_->signals.push_back(signal);
      dies = signal == SIGKILL || (signal == SIGTERM && state_->obeys_sigterm);
    }
    if (dies) state_->exit_with(W_EXITCODE(0, signal));
  }
  std::optional<int> try_reap() override {
    std::lock_guard lock(state_->mutex);
    if (!state_->exited || reaped_) return std::nullopt;
    reaped_ = true;
    return state_->status;
  }

 private:
  pid_t pid_;
  std::shared_ptr<FakeChildState> state_;
  bool reaped_ = false;
};

// Records every launch; each child is a FakeChild the test drives.
class FakeLauncher final : public ProcessLauncher {
 public:
  struct Launch {
    LaunchSpec spec;
    Clock::time_point at;
    std::shared_ptr<FakeChildState> child;
  };

  Result<std::unique_ptr<ChildProcess>> launch(const LaunchSpec& spec) override {
    auto state = std::make_shared<FakeChildState>();
    std::lock_guard lock(mutex_);
    state->obeys_sigterm = obeys_sigterm_;
    launches_.push_back({spec, Clock::now(), state});
    return std::unique_ptr<ChildProcess>(
        std::make_unique<FakeChild>(static_cast<pid_t>(1000 + launches_.size()), state));
  }

  std::size_t count() {
    std::lock_guard lock(mutex_);
    return launches_.size();
  }
  Launch at(std::size_t i) {
    std::lock_guard lock(mutex_);
    return launches_.at(i);
  }
  void set_obeys_sigterm(bool obeys) {
    std::lock_guard lock(mutex_);
    obeys_sigterm_ = obeys;
  }

 private:
  std::mutex mutex_;
  std::vector<Launch> launches_;
  bool obeys_sigterm_ = true;
};

WorkerCommand test_command(const std::filesystem::path& worker_bin,
                           const std::filesystem::path& log_dir) {
  return WorkerCommand{worker_bin,  "sup-1",
                       "127.0.0.1", {"storm.zookeeper.root=/x;rm -rf /"},
                       log_dir,     "gale:cluster-secret"};
}

// One topology from before identities (its workers get the cluster's), one with its own.
const WorkerAssignment kWordCount{"word_count-1-1700000000", "/var/gale/artifacts/abc.so"};
const WorkerAssignment kRiskAlert{"risk_alert-2-1700000001", "/var/gale/artifacts/def.so",
                                  "topology-risk_alert-2-1700000001:own-secret"};

// The environment entries named `name`.
std::vector<std::string> env_entries(const LaunchSpec& spec, const std::string& name) {
  std::vector<std::string> found;
  for (const auto& entry : spec.env.value_or(std::vector<std::string>{}))
    if (entry.starts_with(name + "=")) found.push_back(entry);
  return found;
}

std::vector<std::string> expected_argv(const std::string& bin, const WorkerAssignment& a,
                                       int port) {
  return {bin,
          "run",
          "--topology-id",
          a.topology_id,
          "--supervisor-id",
          "sup-1",
          "--host",
          "127.0.0.1",
          "--port",
          std::to_string(port),
          "--artifact",
          a.artifact.string(),
          "-c",
          "storm.zookeeper.root=/x;rm -rf /"};
}

class WorkerPoolTest : public ::testing::Test {
 protected:
  FakeLauncher launcher_;
  WorkerPool pool_{launcher_, test_command("/opt/gale/gale-worker", "/var/gale/logs"), 200ms};
};

TEST_F(WorkerPoolTest, LaunchesOneWorkerPerAssignedSlotWithTheContractedCommand) {
  pool_.set_desired({{6700, kWordCount}, {6701, kRiskAlert}});
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 2; }));
  const auto first = launcher_.at(0).spec;
  EXPECT_EQ(first.argv, expected_argv("/opt/gale/gale-worker", kWordCount, 6700));
  EXPECT_EQ(first.log_path, "/var/gale/logs/word_count-1-1700000000-6700.log");
  EXPECT_EQ(launcher_.at(1).spec.log_path, "/var/gale/logs/risk_alert-2-1700000001-6701.log");
  EXPECT_TRUE(eventually([&] { return pool_.running().size() == 2; }));
}

// The ZooKeeper identity travels in the environment, the topology's own where it has one; the
// supervisor's token never reaches a worker, and no secret is on a command line.
TEST_F(WorkerPoolTest, AWorkerGetsItsTopologysIdentityInItsEnvironmentAndNoToken) {
  ::setenv("GALE_TOKEN", "supervisor.secret", 1);
  ::setenv("GALE_ZOOKEEPER_AUTH", "gale:inherited", 1);
  pool_.set_desired({{6700, kWordCount}, {6701, kRiskAlert}});
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 2; }));
  ::unsetenv("GALE_TOKEN");
  ::unsetenv("GALE_ZOOKEEPER_AUTH");
  const auto word_count = launcher_.at(0).spec, risk_alert = launcher_.at(1).spec;
  EXPECT_EQ(env_entries(word_count, "GALE_ZOOKEEPER_AUTH"),
            std::vector<std::string>{"GALE_ZOOKEEPER_AUTH=gale:cluster-secret"});
  EXPECT_EQ(
      env_entries(risk_alert, "GALE_ZOOKEEPER_AUTH"),
      std::vector<std::string>{"GALE_ZOOKEEPER_AUTH=topology-risk_alert-2-1700000001:own-secret"});
  for (const auto& spec : {word_count, risk_alert}) {
    EXPECT_TRUE(env_entries(spec, "GALE_TOKEN").empty());
    for (const auto& arg : spec.argv) EXPECT_EQ(arg.find("secret"), std::string::npos) << arg;
  }
}

TEST_F(WorkerPoolTest, RestartsADeadWorkerAtOnce) {
  pool_.set_desired({{6700, kWordCount}});
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 1; }));
  launcher_.at(0).child->exit_with(W_EXITCODE(0, SIGKILL));
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 2; }, 1s));
  EXPECT_EQ(launcher_.at(1).spec, launcher_.at(0).spec);
}

TEST_F(WorkerPoolTest, BacksOffAWorkerThatKeepsDyingWithinASecond) {
  pool_.set_desired({{6700, kWordCount}});
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(eventually([&] { return launcher_.count() == i + 1; }, 5s));
    launcher_.at(i).child->exit_with(W_EXITCODE(1, 0));
  }
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 4; }, 5s));
  // Deaths 1, 2, 3 in a row: restarts after 0, 0.5 and 1 s.
  EXPECT_LT(launcher_.at(1).at - launcher_.at(0).at, 400ms);
  EXPECT_GE(launcher_.at(2).at - launcher_.at(1).at, 480ms);
  EXPECT_GE(launcher_.at(3).at - launcher_.at(2).at, 980ms);
}

TEST(WorkerPoolBackoffTest, GrowsFromNothingToFiveSeconds) {
  EXPECT_EQ(WorkerPool::restart_backoff(0), 0ms);
  EXPECT_EQ(WorkerPool::restart_backoff(1), 0ms);
  EXPECT_EQ(WorkerPool::restart_backoff(2), 500ms);
  EXPECT_EQ(WorkerPool::restart_backoff(3), 1000ms);
  EXPECT_EQ(WorkerPool::restart_backoff(6), 5000ms);
  EXPECT_EQ(WorkerPool::restart_backoff(60), 5000ms);
}

TEST_F(WorkerPoolTest, UnassignedWorkerGetsSigtermThenSigkillAfterTheGrace) {
  launcher_.set_obeys_sigterm(false);
  pool_.set_desired({{6700, kWordCount}});
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 1; }));
  const auto child = launcher_.at(0).child;
  const auto unassigned = Clock::now();
  pool_.set_desired({});
  ASSERT_TRUE(eventually([&] { return child->received(SIGTERM); }, 1s));
  ASSERT_TRUE(eventually([&] { return child->received(SIGKILL); }, 2s));
  EXPECT_GE(Clock::now() - unassigned, 190ms);
  EXPECT_TRUE(eventually([&] { return pool_.running().empty(); }));
  EXPECT_EQ(launcher_.count(), 1u);
}

TEST_F(WorkerPoolTest, SlotGivenToAnotherTopologyStartsItsWorkerOnceTheOldOneIsGone) {
  launcher_.set_obeys_sigterm(false);
  pool_.set_desired({{6700, kWordCount}});
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 1; }));
  const auto old_child = launcher_.at(0).child;
  pool_.set_desired({{6700, kRiskAlert}});
  ASSERT_TRUE(eventually([&] { return old_child->received(SIGTERM); }, 1s));
  EXPECT_EQ(launcher_.count(), 1u);  // the port is still taken
  old_child->exit_with(W_EXITCODE(0, 0));
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 2; }, 1s));
  EXPECT_EQ(launcher_.at(1).spec.argv, expected_argv("/opt/gale/gale-worker", kRiskAlert, 6700));
}

TEST_F(WorkerPoolTest, StopTerminatesEveryWorker) {
  pool_.set_desired({{6700, kWordCount}, {6701, kRiskAlert}});
  ASSERT_TRUE(eventually([&] { return launcher_.count() == 2; }));
  pool_.stop();
  EXPECT_TRUE(launcher_.at(0).child->received(SIGTERM));
  EXPECT_TRUE(launcher_.at(1).child->received(SIGTERM));
  EXPECT_TRUE(pool_.running().empty());
}

// The same pool with real processes: tests/fake_worker.cc records its argv by port.
class RealWorkerPoolTest : public ::testing::Test {
 protected:
  TempDir dir_;
  testing::ScopedEnv record_dir_{"GALE_FAKE_WORKER_DIR", dir_.path().string()};
  PosixSpawnLauncher launcher_;
  WorkerPool pool_{launcher_, test_command(GALE_FAKE_WORKER, dir_.path() / "logs"), 2s};

  std::optional<testing::FakeWorkerRecord> record(int port) {
    return testing::read_record(dir_.path(), port);
  }
};

TEST_F(RealWorkerPoolTest, WorkerGetsExactArgvAndItsOutputGoesToTheSlotLog) {
  pool_.set_desired({{6700, kWordCount}});
  const auto log = dir_.path() / "logs" / "word_count-1-1700000000-6700.log";
  ASSERT_TRUE(eventually(
      [&] { return record(6700) && testing::read_text(log).find("stderr") != std::string::npos; }));
  EXPECT_EQ(record(6700)->argv, expected_argv(GALE_FAKE_WORKER, kWordCount, 6700));
  EXPECT_EQ(pool_.running().at(6700), record(6700)->pid);
  const auto text = testing::read_text(log);
  EXPECT_NE(text.find("fake worker on port 6700: stdout"), std::string::npos) << text;
  EXPECT_NE(text.find("fake worker on port 6700: stderr"), std::string::npos) << text;
}

TEST_F(RealWorkerPoolTest, KilledWorkerIsRelaunchedWithANewPid) {
  pool_.set_desired({{6700, kWordCount}});
  ASSERT_TRUE(eventually([&] { return record(6700).has_value(); }));
  const pid_t first = record(6700)->pid;
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return record(6700) && record(6700)->pid != first; }, 3s));
  EXPECT_TRUE(testing::process_alive(record(6700)->pid));
  EXPECT_FALSE(testing::process_alive(first));
}

TEST_F(RealWorkerPoolTest, UnassignedWorkerIsTerminated) {
  pool_.set_desired({{6700, kWordCount}});
  ASSERT_TRUE(eventually([&] { return record(6700).has_value(); }));
  const pid_t pid = record(6700)->pid;
  pool_.set_desired({});
  EXPECT_TRUE(eventually([&] { return !testing::process_alive(pid); }, 3s));
  // The pool's thread reaps the child and then publishes its pids: a moment after it died.
  EXPECT_TRUE(eventually([&] { return pool_.running().empty(); }, 3s));
}

TEST_F(RealWorkerPoolTest, AppendsToTheLogAcrossRestarts) {
  testing::ScopedEnv exit_at_once{"GALE_FAKE_WORKER_EXIT", "3"};
  pool_.set_desired({{6700, kWordCount}});
  const auto log = dir_.path() / "logs" / "word_count-1-1700000000-6700.log";
  auto lines = [&] {
    const auto text = testing::read_text(log);
    return std::count(text.begin(), text.end(), '\n');
  };
  EXPECT_TRUE(eventually([&] { return lines() >= 4; }, 3s));  // two runs, two lines each
}

TEST(PosixSpawnLauncherTest, DestroyingAChildKillsAndReapsIt) {
  TempDir dir;
  testing::ScopedEnv record_dir{"GALE_FAKE_WORKER_DIR", dir.path().string()};
  PosixSpawnLauncher launcher;
  auto child = launcher.launch({{GALE_FAKE_WORKER, "--port", "1"}, dir.path() / "log"});
  ASSERT_TRUE(child) << child.error().message;
  const pid_t pid = child.value()->pid();
  ASSERT_TRUE(eventually([&] { return testing::read_record(dir.path(), 1).has_value(); }));
  child.value().reset();
  EXPECT_FALSE(testing::process_alive(pid));  // reaped, not a zombie
}

TEST(PosixSpawnLauncherTest, MissingBinaryIsALaunchError) {
  TempDir dir;
  PosixSpawnLauncher launcher;
  auto child = launcher.launch({{(dir.path() / "no-such-worker").string()}, dir.path() / "log"});
  ASSERT_FALSE(child);
  EXPECT_EQ(child.code(), SupervisorErrc::launch_failed);
  EXPECT_NE(child.error().message.find("no-such-worker"), std::string::npos);
}

}  // namespace
}  // namespace gale::supervisor
