// Submitting real packaged topologies: `gale-worker inspect` runs in a child process, and a
// bad .so is refused with its message before anything reaches the store.
#include <fstream>
#include <sstream>

#include "child_process.h"
#include "gale/coordination/in_memory_store.h"
#include "nimbus_fixture.h"

namespace gale::nimbus::testing {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class InspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kBinDir / "gale-worker")) << "build gale-worker first";
    ASSERT_TRUE(state_.init().ok());
    ASSERT_TRUE(state_.register_supervisor(supervisor("sup-a", {7001, 7002})).ok());
    nimbus_ = std::make_unique<InProcessNimbus>(store_, dir_.path(), Inspector{});
  }

  Result<nlohmann::json> submit(const std::string& so_bytes) {
    return nimbus_->client().submit("topo", {}, so_bytes);
  }

  void expect_refused(const std::string& so_bytes, const std::string& message_part) {
    auto answer = submit(so_bytes);
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.code(), make_error_code(NimbusErrc::bad_request));
    EXPECT_NE(answer.error().message.find(message_part), std::string::npos)
        << answer.error().message;
    EXPECT_EQ(answer.error().message.find("staged"), std::string::npos) << answer.error().message;
    EXPECT_TRUE(state_.topology_ids()->empty());
    EXPECT_TRUE(state_.assignment_ids()->empty());
    // Nothing left in the artifacts directory either.
    auto artifacts = dir_.path() / "artifacts";
    EXPECT_TRUE(!std::filesystem::exists(artifacts) || std::filesystem::is_empty(artifacts));
  }

  coordination::InMemoryStore store_;
  coordination::ClusterState state_{store_};
  TempDir dir_;
  std::unique_ptr<InProcessNimbus> nimbus_;
};

TEST_F(InspectTest, AFileThatIsNotASharedLibraryIsRefused) {
  expect_refused("#!/bin/sh\necho not a library\n", "the submitted .so is not a shared library");
}

TEST_F(InspectTest, AnInvalidTopologyIsRefusedWithItsMessage) {
  expect_refused(read_file(kTopologyDir / "test_invalid.so"), "unknown component 'sourse'");
}

TEST_F(InspectTest, AnotherApiVersionIsRefusedNamingTheVersion) {
  expect_refused(read_file(kTopologyDir / "test_bad_version.so"), "version 999");
}

TEST_F(InspectTest, AMissingEntryPointIsRefused) {
  expect_refused(read_file(kTopologyDir / "test_no_entry.so"), "gale_topology_entry");
}

TEST_F(InspectTest, AGoodTopologyIsScheduledWithAllItsTasksIncludingAckers) {
  auto answer = nimbus_->client().submit("words", {{"topology.workers", "2"}},
                                         read_file(kTopologyDir / "word_count.so"));
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  auto assignment = state_.assignment((*answer)["id"].get<std::string>());
  ASSERT_TRUE(assignment.ok() && assignment->has_value());
  EXPECT_FALSE((*assignment)->task_slots.empty());
  int last_task = (*assignment)->task_slots.rbegin()->first;
  EXPECT_EQ(static_cast<int>((*assignment)->task_slots.size()), last_task);  // tasks 1..n
  // The status carries the graph the console draws: the components and the streams between
  // them, as inspected.
  auto status = nimbus_->client().status("words");
  ASSERT_TRUE(status.ok());
  const auto& graph = (*status)["graph"];
  EXPECT_EQ(graph["components"].size(), 4u) << graph.dump();
  EXPECT_EQ(graph["edges"].size(), 3u) << graph.dump();
  EXPECT_NE(graph["edges"].dump().find(
                R"({"from":"split","grouping":"fields","stream":"default","to":"count"})"),
            std::string::npos)
      << graph.dump();
}

TEST(ChildProcessTest, CapturesOutputAndExitCodeAndKillsAHungChild) {
  auto ok = run_child({"/bin/echo", "hello"}, std::chrono::seconds(5));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->out, "hello\n");
  auto hung = run_child({"/bin/sleep", "30"}, std::chrono::milliseconds(200));
  ASSERT_TRUE(hung.ok());
  EXPECT_TRUE(hung->timed_out);
  EXPECT_EQ(hung->signal, SIGKILL);
  auto missing = run_child({"/nonexistent/gale-worker"}, std::chrono::seconds(1));
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace gale::nimbus::testing
