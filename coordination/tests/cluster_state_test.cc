// ClusterState over InMemoryStore: records round-trip, bad data and names are refused, and
// ephemeral registrations follow the session.
#include "gale/coordination/cluster_state.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "gale/coordination/in_memory_store.h"
#include "watch_recorder.h"

namespace gale::coordination {
namespace {

using testing::WatchRecorder;

TopologyRecord word_count() {
  return TopologyRecord{"word-count-1",
                        "word-count",
                        TopologyStatus::active,
                        {{"topology.workers", "2"}, {"topology.debug", "false"}},
                        std::string(64, 'a'),
                        2,
                        "alice"};
}

Assignment word_count_assignment() {
  return Assignment{"word-count-1",
                    {{1, Slot{"sup-1", "host-a", 6700}}, {2, Slot{"sup-2", "host-b", 6701}}},
                    {{1, 1}, {2, 2, 1}},  // executor 2 chained into executor 1
                    1700000000};
}

class ClusterStateTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(state_.init()); }

  InMemoryStore store_;
  ClusterState state_{store_, "/gale"};
};

TEST_F(ClusterStateTest, TopologyRoundTripsAndIsListed) {
  ASSERT_TRUE(state_.set_topology(word_count()));
  auto read = state_.topology("word-count-1");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read.value(), word_count());
  // With its runtime settings and the savepoints taken of it.
  TopologyRecord full = word_count();
  full.settings = {{"topology.log.level", "debug"}};
  full.settings_version = 3;
  full.savepoints = {{"before-upgrade", 42, 1764950000123, "alice", 4096}};
  ASSERT_TRUE(state_.set_topology(full));
  EXPECT_EQ(state_.topology("word-count-1").value(), full);
  EXPECT_EQ(state_.topology_ids().value(), std::vector<std::string>{"word-count-1"});
  EXPECT_TRUE(store_.exists("/gale/storms/word-count-1").value());
}

TEST_F(ClusterStateTest, SetTopologyReplacesAndRemoveIsIdempotent) {
  ASSERT_TRUE(state_.set_topology(word_count()));
  auto killed = word_count();
  killed.status = TopologyStatus::killed;
  ASSERT_TRUE(state_.set_topology(killed));
  EXPECT_EQ(state_.topology("word-count-1").value()->status, TopologyStatus::killed);
  EXPECT_TRUE(state_.remove_topology("word-count-1"));
  EXPECT_TRUE(state_.remove_topology("word-count-1"));
  EXPECT_FALSE(state_.topology("word-count-1").value().has_value());
}

TEST_F(ClusterStateTest, TokensAreStoredPerPrincipalReplacedAndRevoked) {
  const TokenRecord alice{"alice", "deployer", std::string(64, 'b'), 1700000000};
  ASSERT_TRUE(state_.set_token(alice));
  EXPECT_EQ(state_.token("alice").value(), alice);
  auto renewed = alice;
  renewed.sha256 = std::string(64, 'c');
  ASSERT_TRUE(state_.set_token(renewed));
  EXPECT_EQ(state_.tokens().value(), std::vector<TokenRecord>{renewed});
  EXPECT_FALSE(state_.set_token(TokenRecord{"../etc", "admin", std::string(64, 'd'), 0}));
  ASSERT_TRUE(state_.remove_token("alice"));
  EXPECT_FALSE(state_.token("alice").value().has_value());
  EXPECT_TRUE(state_.tokens().value().empty());
}

TEST_F(ClusterStateTest, CredentialsRoundTripAreRemovedAndMustBeWholeKeys) {
  const TopologyCredentials keys{std::string(40, 'p'), std::string(40, 's')};
  EXPECT_FALSE(state_.credentials("word-count-1").value().has_value());
  ASSERT_TRUE(state_.set_credentials("word-count-1", keys));
  EXPECT_EQ(state_.credentials("word-count-1").value(), keys);
  ASSERT_TRUE(store_.set("/gale/credentials/word-count-1",
                         R"({"curve_public": "short", "curve_secret": "short"})"));
  auto bad = state_.credentials("word-count-1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("40 characters"), std::string::npos) << bad.error().message;
  ASSERT_TRUE(state_.remove_credentials("word-count-1"));
  EXPECT_FALSE(state_.credentials("word-count-1").value().has_value());
  EXPECT_FALSE(state_.set_credentials("../x", keys));
}

TEST_F(ClusterStateTest, AssignmentRoundTrips) {
  ASSERT_TRUE(state_.set_assignment(word_count_assignment()));
  EXPECT_EQ(state_.assignment("word-count-1").value(), word_count_assignment());
  EXPECT_EQ(state_.assignment_ids().value(), std::vector<std::string>{"word-count-1"});
  ASSERT_TRUE(state_.remove_assignment("word-count-1"));
  EXPECT_TRUE(state_.assignment_ids().value().empty());
}

TEST_F(ClusterStateTest, AssignmentWatchesFireOnNewAndChangedAssignments) {
  WatchRecorder list_watch;
  ASSERT_TRUE(state_.watch_assignment_ids(list_watch.callback()));
  ASSERT_TRUE(state_.set_assignment(word_count_assignment()));
  ASSERT_TRUE(list_watch.wait_for(1));
  EXPECT_EQ(list_watch.events()[0].type, WatchEventType::children_changed);

  WatchRecorder data_watch;
  ASSERT_TRUE(state_.watch_assignment("word-count-1", data_watch.callback()));
  auto moved = word_count_assignment();
  moved.task_slots[1].port = 6702;
  ASSERT_TRUE(state_.set_assignment(moved));
  ASSERT_TRUE(data_watch.wait_for(1));
  EXPECT_EQ(data_watch.events()[0].type, WatchEventType::data_changed);
}

TEST_F(ClusterStateTest, MalformedRecordsAreRejectedWithAMessage) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json {", "not valid JSON"},
      {R"({"id":"x","name":"n","config":{},"artifact_sha256":"","num_workers":1})", "status"},
      {R"({"id":"x","name":"n","status":"paused","config":{},"artifact_sha256":"",
           "num_workers":1})",
       "unknown status"},
      {R"({"id":"x","name":"n","status":"active","config":{},"artifact_sha256":"",
           "num_workers":"two"})",
       "type must be number"},
      {R"({"id":"../x","name":"n","status":"active","config":{},"artifact_sha256":"",
           "num_workers":1})",
       "topology id"},
  };
  ASSERT_TRUE(store_.create("/gale/storms/x", "", CreateMode::persistent));
  for (const auto& [json, complaint] : cases) {
    ASSERT_TRUE(store_.set("/gale/storms/x", json));
    auto read = state_.topology("x");
    ASSERT_FALSE(read) << json;
    EXPECT_EQ(read.code(), StoreErrc::other);
    EXPECT_NE(read.error().message.find("malformed topology record"), std::string::npos);
    EXPECT_NE(read.error().message.find(complaint), std::string::npos) << read.error().message;
  }
}

TEST_F(ClusterStateTest, MalformedAssignmentTaskIdIsRejected) {
  auto encoded = nlohmann::json::parse(encode(word_count_assignment()));
  encoded["task_slots"]["one"] = encoded["task_slots"]["1"];
  ASSERT_TRUE(
      store_.create("/gale/assignments/word-count-1", encoded.dump(), CreateMode::persistent));
  auto read = state_.assignment("word-count-1");
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("task id 'one'"), std::string::npos);
}

TEST_F(ClusterStateTest, NamesThatAreNotSafePathComponentsAreRejected) {
  const std::vector<std::string> bad_names = {
      "", "a/b", "..", ".", "a b", "ü", std::string(129, 'x')};
  for (const auto& bad : bad_names) {
    auto topology = word_count();
    topology.id = bad;
    EXPECT_EQ(state_.set_topology(topology).code(), StoreErrc::invalid_path) << bad;
    EXPECT_EQ(state_.assignment(bad).code(), StoreErrc::invalid_path) << bad;
    EXPECT_EQ(state_.report_error("word-count-1", bad, {}).code(), StoreErrc::invalid_path);
    EXPECT_EQ(state_.register_supervisor({bad, "host", {6700}, 0}).code(), StoreErrc::invalid_path);
  }
  EXPECT_TRUE(validate_name("id", std::string(128, 'x')));
  EXPECT_TRUE(validate_name("id", "A-z_0.9"));
}

TEST_F(ClusterStateTest, SupervisorDisappearsWhenItsSessionExpires) {
  // One with a log server (its port and secret kept) and one without.
  const SupervisorInfo info{"sup-1", "host-a", {6700, 6701}, 42, 6709, "c0ffee"};
  const SupervisorInfo plain{"sup-2", "host-b", {6700}, 7};
  ASSERT_TRUE(state_.register_supervisor(info));
  ASSERT_TRUE(state_.register_supervisor(plain));
  auto read = state_.supervisors().value();
  std::sort(read.begin(), read.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_EQ(read, (std::vector<SupervisorInfo>{info, plain}));

  WatchRecorder watch;
  ASSERT_TRUE(state_.watch_supervisor_ids(watch.callback()));
  store_.expire_session();
  ASSERT_TRUE(watch.wait_for(1));
  EXPECT_EQ(watch.events()[0].type, WatchEventType::children_changed);
  EXPECT_TRUE(state_.supervisors().value().empty());
}

TEST_F(ClusterStateTest, RegisteringASupervisorAgainReplacesIt) {
  ASSERT_TRUE(state_.register_supervisor({"sup-1", "host-a", {6700}, 1}));
  ASSERT_TRUE(state_.register_supervisor({"sup-1", "host-a", {6700}, 2}));
  auto all = state_.supervisors();
  ASSERT_EQ(all.value().size(), 1u);
  EXPECT_EQ(all.value()[0].uptime_secs, 2);
}

TEST_F(ClusterStateTest, UpdatingASupervisorRewritesItInPlaceWithoutAWatchEvent) {
  ASSERT_TRUE(state_.update_supervisor({"sup-1", "host-a", {6700}, 1}));  // registers if missing
  WatchRecorder watch;
  ASSERT_TRUE(state_.watch_supervisor_ids(watch.callback()));
  ASSERT_TRUE(state_.update_supervisor({"sup-1", "host-a", {6700}, 2}));
  auto all = state_.supervisors();
  ASSERT_EQ(all.value().size(), 1u);
  EXPECT_EQ(all.value()[0].uptime_secs, 2);
  EXPECT_TRUE(watch.events().empty()) << "the node was removed and re-created";
}

TEST_F(ClusterStateTest, HeartbeatsAreListedPerTopology) {
  WorkerHeartbeat a{"word-count-1", "host-a", 6700, 1000, 10, {{"emitted", 5}}};
  WorkerHeartbeat b{"word-count-1", "host-b", 6701, 1001, 11, {{"emitted", 7}}};
  WorkerHeartbeat other{"other", "host-a", 6700, 1002, 12, nlohmann::json::object()};
  for (const auto& beat : {a, b, other}) ASSERT_TRUE(state_.write_heartbeat(beat));
  a.time_secs = 2000;
  ASSERT_TRUE(state_.write_heartbeat(a));  // overwrites its own node

  EXPECT_EQ(state_.heartbeats("word-count-1").value(), (std::vector<WorkerHeartbeat>{a, b}));
  EXPECT_TRUE(store_.exists("/gale/workerbeats/word-count-1/host-b-6701").value());
  ASSERT_TRUE(state_.remove_heartbeat("word-count-1", "host-a", 6700));
  EXPECT_EQ(state_.heartbeats("word-count-1").value(), std::vector<WorkerHeartbeat>{b});
  EXPECT_TRUE(state_.heartbeats("never-ran").value().empty());
  EXPECT_EQ(state_.write_heartbeat({"t", "host", 0, 0, 0, {}}).code(), StoreErrc::invalid_path);
}

TEST_F(ClusterStateTest, ErrorsKeepTheLastTenPerComponent) {
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(state_.report_error("word-count-1", "split",
                                    {"boom " + std::to_string(i), i, "host-a", 6700}));
  }
  ASSERT_TRUE(state_.report_error("word-count-1", "count", {"other", 0, "host-b", 6701}));
  auto errors = state_.errors("word-count-1", "split");
  ASSERT_TRUE(errors);
  ASSERT_EQ(errors.value().size(), ClusterState::kMaxErrorsPerComponent);
  EXPECT_EQ(errors.value().front().message, "boom 2");
  EXPECT_EQ(errors.value().back().message, "boom 11");
  EXPECT_EQ(state_.errors("word-count-1", "count").value().size(), 1u);
  EXPECT_TRUE(state_.errors("word-count-1", "spout").value().empty());
}

TEST_F(ClusterStateTest, BlobsAreVersionedListedAndRemovedWithTheirTopology) {
  EXPECT_TRUE(state_.blob_keys("risk-1").value().empty());
  ASSERT_TRUE(state_.set_blob("risk-1", "rules", "rules: []"));
  auto first = state_.blob("risk-1", "rules");
  ASSERT_TRUE(first && first.value());
  EXPECT_EQ(first.value()->data, "rules: []");
  ASSERT_TRUE(state_.set_blob("risk-1", "rules", "rules: [a]"));
  auto second = state_.blob("risk-1", "rules").value();
  EXPECT_EQ(second->data, "rules: [a]");
  EXPECT_GT(second->version, first.value()->version) << "a replacement must be told apart";
  ASSERT_TRUE(state_.set_blob("risk-1", "lists", "x"));
  EXPECT_EQ(state_.blob_keys("risk-1").value(), (std::vector<std::string>{"lists", "rules"}));

  EXPECT_FALSE(state_.set_blob("risk-1", "../x", "y"));
  auto too_big =
      state_.set_blob("risk-1", "big", std::string(ClusterState::kMaxBlobBytes + 1, 'x'));
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message.find("at most"), std::string::npos) << too_big.error().message;

  ASSERT_TRUE(state_.remove_blobs("risk-1"));
  EXPECT_TRUE(state_.blob_keys("risk-1").value().empty());
  EXPECT_FALSE(state_.blob("risk-1", "rules").value().has_value());
  EXPECT_TRUE(state_.remove_blobs("risk-1")) << "removing twice is fine";
}

TEST_F(ClusterStateTest, FirstNimbusBecomesLeaderUntilItsSessionEnds) {
  EXPECT_FALSE(state_.leader().value().has_value());
  EXPECT_TRUE(state_.try_become_leader("nimbus-a").value());
  EXPECT_FALSE(state_.try_become_leader("nimbus-b").value());
  EXPECT_TRUE(state_.try_become_leader("nimbus-a").value());
  EXPECT_EQ(state_.leader().value(), "nimbus-a");
  store_.expire_session();
  EXPECT_FALSE(state_.leader().value().has_value());
  EXPECT_TRUE(state_.try_become_leader("nimbus-b").value());
}

}  // namespace
}  // namespace gale::coordination
