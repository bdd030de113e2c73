// Nimbus's API in-process over an InMemoryStore, with a fake inspector: the scheduling,
// status, kill, rebalance, monitor and leadership logic.
#include <gmock/gmock.h>

#include <set>

#include "gale/common/rfc3339.h"
#include "gale/coordination/in_memory_store.h"
#include "nimbus_fixture.h"

namespace gale::nimbus::testing {
namespace {

using coordination::TopologyStatus;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(state_.init().ok());
    ASSERT_TRUE(state_.register_supervisor(supervisor("sup-a", {7001, 7002})).ok());
    ASSERT_TRUE(state_.register_supervisor(supervisor("sup-b", {7003, 7004})).ok());
  }

  void start(std::vector<std::pair<std::string, std::string>> settings = {}) {
    nimbus_ = std::make_unique<InProcessNimbus>(store_, dir_.path(), inspector_.inspector(),
                                                std::move(settings));
  }

  Result<nlohmann::json> submit(const std::string& name,
                                std::map<std::string, std::string> config = {}) {
    return nimbus_->client().submit(name, config, "not really a shared library");
  }

  std::string only_id() {
    auto ids = state_.topology_ids();
    EXPECT_TRUE(ids.ok());
    EXPECT_EQ(ids->size(), 1u);
    return ids->empty() ? "" : ids->front();
  }

  coordination::Assignment assignment(const std::string& id) {
    auto found = state_.assignment(id);
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? **found : coordination::Assignment{};
  }

  bool nothing_written() {
    auto topologies = state_.topology_ids();
    auto assignments = state_.assignment_ids();
    return topologies.ok() && topologies->empty() && assignments.ok() && assignments->empty();
  }

  coordination::InMemoryStore store_;
  coordination::ClusterState state_{store_};
  TempDir dir_;
  FakeInspector inspector_;
  std::unique_ptr<InProcessNimbus> nimbus_;
};

std::set<std::string> supervisors_of(const coordination::Assignment& a) {
  std::set<std::string> out;
  for (const auto& [task, slot] : a.task_slots) out.insert(slot.supervisor_id);
  return out;
}

TEST_F(ApiTest, SubmitWritesRecordAndAssignmentSpreadOverSupervisors) {
  start();
  auto answer = submit("words", {{"topology.workers", "2"}});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  std::string id = (*answer)["id"];
  EXPECT_TRUE(id.starts_with("words-"));

  auto record = state_.topology(id);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->status, TopologyStatus::active);
  EXPECT_EQ((*record)->num_workers, 2);
  auto a = assignment(id);
  EXPECT_EQ(a.task_slots.size(), 7u);  // acker task included
  EXPECT_EQ(a.executors.size(), 7u);
  EXPECT_EQ(supervisors_of(a), (std::set<std::string>{"sup-a", "sup-b"}));

  auto bytes = nimbus_->client().request("GET", "/api/v1/artifacts/" + (*record)->artifact_sha256);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->status, 200);
  EXPECT_EQ(bytes->body, "not really a shared library");
}

TEST_F(ApiTest, SubmitRefusesBadNamesKeysAndTakenNamesWritingNothing) {
  start();
  auto bad_name = submit("../x");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.code(), make_error_code(NimbusErrc::bad_request));
  auto bad_key = submit("words", {{"topology.wokers", "2"}});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.error().message.find("topology.wokers"), std::string::npos)
      << bad_key.error().message;
  EXPECT_TRUE(nothing_written());
  EXPECT_EQ(*inspector_.calls, 0);

  ASSERT_TRUE(submit("words").ok());
  auto taken = submit("words");
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.code(), make_error_code(NimbusErrc::conflict));
}

TEST_F(ApiTest, SubmitRefusesWhenSlotsRunShortWritingNothing) {
  start();
  auto answer = submit("words", {{"topology.workers", "5"}});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.code(), make_error_code(NimbusErrc::bad_request));
  EXPECT_NE(answer.error().message.find("needs 5"), std::string::npos) << answer.error().message;
  EXPECT_NE(answer.error().message.find("4 are free"), std::string::npos) << answer.error().message;
  EXPECT_TRUE(nothing_written());
}

TEST_F(ApiTest, StatusSumsHeartbeatStatisticsAndListsWorkers) {
  start();
  ASSERT_TRUE(submit("words", {{"topology.workers", "2"}}).ok());
  std::string id = only_id();
  auto slots = assignment(id).task_slots;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto beat = [&](int port, int executed, double latency) {
    nlohmann::json stats{{"components",
                          {{"bolt",
                            {{"kind", "bolt"},
                             {"executors", 2},
                             {"executed", executed},
                             {"execute_latency_ms", latency}}}}}};
    return coordination::WorkerHeartbeat{id, "127.0.0.1", port, now, 5, stats};
  };
  std::set<int> ports;
  for (const auto& [task, slot] : slots) ports.insert(slot.port);
  ASSERT_TRUE(state_.write_heartbeat(beat(*ports.begin(), 100, 1.0)).ok());
  ASSERT_TRUE(state_.write_heartbeat(beat(*ports.rbegin(), 300, 3.0)).ok());
  // The last heartbeat of a worker whose slot is no longer assigned (a rebalance to fewer
  // workers, a move) is not counted.
  ASSERT_TRUE(state_.write_heartbeat(beat(7999, 1000, 9.0)).ok());

  auto status = nimbus_->client().status("words");
  ASSERT_TRUE(status.ok()) << status.error().message;
  const auto& bolt = (*status)["components"]["bolt"];
  EXPECT_EQ(bolt["executed"], 400);
  EXPECT_EQ(bolt["executors"], 4);
  EXPECT_DOUBLE_EQ(bolt["execute_latency_ms"].get<double>(), (100 * 1.0 + 300 * 3.0) / 400);
  ASSERT_EQ((*status)["workers"].size(), 2u);
  EXPECT_EQ((*status)["workers"][0]["uptime_secs"], 5);
}

TEST_F(ApiTest, MetricsServesEveryWorkersFiguresInPrometheusTextFormat) {
  start();
  ASSERT_TRUE(submit("risk", {{"topology.workers", "2"}}).ok());
  std::string id = only_id();
  std::set<int> ports;
  for (const auto& [task, slot] : assignment(id).task_slots) ports.insert(slot.port);
  ASSERT_EQ(ports.size(), 2u);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto beat = [&](int port, int acked, int alerts) {
    nlohmann::json alert_series{{"name", "alerts"},
                                {"kind", "counter"},
                                {"labels", {{"rule", "night \"transfer\""}}},
                                {"value", alerts}};
    nlohmann::json amount{
        {"name", "amount"},      {"kind", "histogram"},  {"labels", nlohmann::json::object()},
        {"bounds", {100, 1000}}, {"buckets", {1, 2, 3}}, {"sum", 5000.5}};
    nlohmann::json bad{{"name", "Bad-Name"}, {"kind", "counter"}, {"value", 1}};
    nlohmann::json stats{{"components",
                          {{"rules",
                            {{"kind", "bolt"},
                             {"acked", acked},
                             {"idle_ns", 2'500'000'000},
                             {"execute_latency_ms", 1.5},
                             {"metrics", {alert_series, amount, bad}}}}}},
                         {"rejected_batches", 3}};
    return coordination::WorkerHeartbeat{id, "127.0.0.1", port, now, 7, stats};
  };
  ASSERT_TRUE(state_.write_heartbeat(beat(*ports.begin(), 10, 1)).ok());
  ASSERT_TRUE(state_.write_heartbeat(beat(*ports.rbegin(), 20, 2)).ok());

  auto reply = nimbus_->client().request("GET", "/metrics");
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  ASSERT_EQ(reply->status, 200) << reply->body;
  const std::string& text = reply->body;
  std::string w1 = "worker=\"127.0.0.1:" + std::to_string(*ports.begin()) + "\"";
  std::string w2 = "worker=\"127.0.0.1:" + std::to_string(*ports.rbegin()) + "\"";
  std::string rules = "topology=\"risk\",component=\"rules\",";
  using ::testing::HasSubstr;
  EXPECT_THAT(text, HasSubstr("# TYPE gale_component_acked_total counter\n"
                              "gale_component_acked_total{" +
                              rules + w1 +
                              "} 10\n"
                              "gale_component_acked_total{" +
                              rules + w2 + "} 20\n"));
  // Base units: nanoseconds and milliseconds become seconds.
  EXPECT_THAT(text, HasSubstr("gale_component_idle_seconds_total{" + rules + w1 + "} 2.5\n"));
  EXPECT_THAT(text,
              HasSubstr("gale_component_execute_latency_seconds{" + rules + w1 + "} 0.0015\n"));
  // The topology's own series, its label value escaped.
  EXPECT_THAT(text, HasSubstr("# TYPE gale_app_alerts_total counter\n"
                              "gale_app_alerts_total{" +
                              rules + w1 + ",rule=\"night \\\"transfer\\\"\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gale_app_amount_bucket{" + rules + w2 + ",le=\"+Inf\"} 6\n"));
  EXPECT_THAT(text,
              HasSubstr("gale_worker_rejected_batches_total{topology=\"risk\"," + w1 + "} 3\n"));
  EXPECT_THAT(text, HasSubstr("gale_topology_info{topology=\"risk\",id=\"" + id +
                              "\",status=\"active\",owner=\"admin\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("gale_supervisor_slots{supervisor=\"sup-a\",host=\"127.0.0.1\"} 2\n"));
  // A malformed series from a worker is left out, the rest kept.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("Bad-Name")));

  // GET /topologies/<name> sums the same series over the workers.
  auto status = nimbus_->client().status("risk");
  ASSERT_TRUE(status.ok());
  const auto& series = (*status)["components"]["rules"]["metrics"];
  ASSERT_EQ(series.size(), 2u) << series.dump();
  EXPECT_EQ(series[0]["name"], "alerts");
  EXPECT_EQ(series[0]["value"], 3);
  EXPECT_EQ(series[1]["buckets"], nlohmann::json({2, 4, 6}));
}

TEST_F(ApiTest, TheMetricHistoryServesCurvesAndOutlivesARestart) {
  start({{"nimbus.metrics.history.interval.secs", "1"}});
  ASSERT_TRUE(submit("risk", {{"topology.workers", "1"}}).ok());
  std::string id = only_id();
  int port = assignment(id).task_slots.begin()->second.port;
  // The worker's runtime has run `uptime` seconds and executed 100 tuples a second.
  auto beat = [&](double uptime) {
    nlohmann::json stats{{"uptime_secs", uptime},
                         {"components",
                          {{"rules",
                            {{"kind", "bolt"},
                             {"executors", 1},
                             {"executed", 100 * uptime},
                             {"metrics",
                              {{{"name", "alerts"},
                                {"kind", "counter"},
                                {"labels", {{"rule", "night"}}},
                                {"value", 3 * uptime}}}}}}}}};
    return coordination::WorkerHeartbeat{id, "127.0.0.1", port, 0, 0, stats};
  };
  // The heartbeat moves on while Nimbus samples it once a second.
  for (double uptime = 1; uptime <= 5; uptime += 1) {
    ASSERT_TRUE(state_.write_heartbeat(beat(uptime)).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  }
  auto curve = [&] {
    auto reply = nimbus_->client().request(
        "GET", "/api/v1/topologies/risk/metrics?names=executed_per_sec,app.alerts.per_sec");
    EXPECT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 200) << reply->body;
    return nlohmann::json::parse(reply->body, nullptr, false);
  };
  nlohmann::json answer = curve();
  EXPECT_EQ(answer["resolution_secs"], 1);
  ASSERT_EQ(answer["series"].size(), 2u) << answer.dump();
  const auto& alerts = answer["series"][0];
  const auto& executed = answer["series"][1];
  EXPECT_EQ(alerts["name"], "app.alerts.per_sec");
  EXPECT_EQ(alerts["labels"], nlohmann::json({{"rule", "night"}}));
  EXPECT_EQ(executed["name"], "executed_per_sec");
  ASSERT_GE(executed["points"].size(), 2u) << answer.dump();
  ASSERT_GE(alerts["points"].size(), 2u) << answer.dump();
  for (const auto& p : executed["points"]) EXPECT_DOUBLE_EQ(p[1].get<double>(), 100) << p;
  for (const auto& p : alerts["points"]) EXPECT_DOUBLE_EQ(p[1].get<double>(), 3) << p;
  std::size_t before = executed["points"].size();

  // A Nimbus started again on the same directory has the curve (on the same port: the same
  // id, so it leads again at once).
  std::string same_port = std::to_string(nimbus_->endpoint("").port);
  nimbus_.reset();
  start({{"nimbus.metrics.history.interval.secs", "1"}, {"nimbus.port", same_port}});
  answer = curve();
  ASSERT_EQ(answer["series"].size(), 2u) << answer.dump();
  EXPECT_GE(answer["series"][1]["points"].size(), before);

  // Bad ranges are refused naming the parameter; an unknown topology is 404.
  auto bad = nimbus_->client().request("GET", "/api/v1/topologies/risk/metrics?from=x");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("'from'"), std::string::npos) << bad->body;
  auto unknown = nimbus_->client().request("GET", "/api/v1/topologies/nope/metrics");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 404) << unknown->body;
}

TEST_F(ApiTest, AWorkerThatRestartedIsAnAnomalyShownByTheApi) {
  start({{"nimbus.metrics.history.interval.secs", "1"}});
  ASSERT_TRUE(submit("risk", {{"topology.workers", "1"}}).ok());
  std::string id = only_id();
  int port = assignment(id).task_slots.begin()->second.port;
  auto beat = [&](const std::string& instance, double uptime) {
    coordination::WorkerHeartbeat b{id, "127.0.0.1", port, 0, 0, {{"uptime_secs", uptime}}};
    b.instance = instance;
    return b;
  };
  ASSERT_TRUE(state_.write_heartbeat(beat("first", 5)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // seen by a sample
  ASSERT_TRUE(state_.write_heartbeat(beat("second", 1)).ok());   // a new process in the slot
  nlohmann::json open;
  for (int i = 0; i < 50 && (open.empty() || !open.is_array() || open.empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto reply = nimbus_->client().request("GET", "/api/v1/anomalies?topology=risk");
    ASSERT_TRUE(reply.ok());
    ASSERT_EQ(reply->status, 200) << reply->body;
    open = nlohmann::json::parse(reply->body);
  }
  ASSERT_EQ(open.size(), 1u) << open.dump();
  EXPECT_EQ(open[0]["rule"], "worker_restarted");
  EXPECT_EQ(open[0]["worker"], "127.0.0.1:" + std::to_string(port));
  EXPECT_TRUE(open[0]["cleared_secs"].is_null());
  auto bad = nimbus_->client().request("GET", "/api/v1/anomalies?state=some");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
}

TEST_F(ApiTest, AScheduledStartKeepsTheTopologyInactiveUntilItsTimeAndCanBeCancelled) {
  start();
  auto in = [](int secs) {
    return format_rfc3339(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() +
                          secs);
  };
  auto submitted =
      nimbus_->client().submit("later", {{"topology.workers", "1"}}, "not really", {}, in(4));
  ASSERT_TRUE(submitted.ok()) << submitted.error().message;
  auto record = nimbus_->client().status("later");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ((*record)["status"], "inactive");
  EXPECT_TRUE((*record)["start_at"].is_string());
  // Nimbus restarts before the time: the schedule is in the record, the next leader keeps it.
  std::string same_port = std::to_string(nimbus_->endpoint("").port);
  nimbus_.reset();
  start({{"nimbus.port", same_port}});
  EXPECT_EQ((*nimbus_->client().status("later"))["status"], "inactive") << "started early";
  // Activated on time (the leader looks every second), with an audit line.
  bool activated = false;
  for (int i = 0; i < 40 && !activated; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto now = nimbus_->client().status("later");
    activated = now.ok() && (*now)["status"] == "active";
  }
  ASSERT_TRUE(activated);
  EXPECT_TRUE((*nimbus_->client().status("later"))["start_at"].is_null());
  auto audit = nimbus_->client().audit(100);
  ASSERT_TRUE(audit.ok());
  bool audited = false;
  for (const auto& e : *audit)
    audited |= e["principal"] == "nimbus" && e["action"] == "activate" && e["topology"] == "later";
  EXPECT_TRUE(audited) << audit->dump();

  // Scheduling an active topology, or a time gone, or no offset: refused naming it.
  auto active = nimbus_->client().schedule("later", in(60));
  ASSERT_FALSE(active.ok());
  EXPECT_NE(active.error().message.find("deactivate it first"), std::string::npos);
  ASSERT_TRUE(nimbus_->client().deactivate("later").ok());
  auto past = nimbus_->client().schedule("later", in(-60));
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().message.find("not in the future"), std::string::npos);
  auto no_offset = nimbus_->client().schedule("later", "2030-01-01T00:00:00");
  ASSERT_FALSE(no_offset.ok());
  EXPECT_NE(no_offset.error().message.find("RFC 3339 with an offset"), std::string::npos);
  // Scheduled, then cancelled: it stays inactive past the time.
  ASSERT_TRUE(nimbus_->client().schedule("later", in(2)).ok());
  auto cancelled = nimbus_->client().schedule("later", "");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE((*cancelled)["start_at"].is_null());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ((*nimbus_->client().status("later"))["status"], "inactive");
}

TEST_F(ApiTest, UnknownTopologyIsNotFoundForEveryVerb) {
  start();
  auto client = nimbus_->client();
  for (const auto& answer : {client.status("nope"), client.activate("nope"), client.kill("nope", 0),
                             client.rebalance("nope", 0, 2, {})}) {
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.code(), make_error_code(NimbusErrc::not_found));
    EXPECT_NE(answer.error().message.find("nope"), std::string::npos);
  }
}

TEST_F(ApiTest, DeactivateAndActivateSetTheRecordStatus) {
  start();
  ASSERT_TRUE(submit("words").ok());
  auto answer = nimbus_->client().deactivate("words");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ((*answer)["status"], "inactive");
  EXPECT_EQ((*state_.topology(only_id()))->status, TopologyStatus::inactive);
  ASSERT_TRUE(nimbus_->client().activate("words").ok());
  EXPECT_EQ((*state_.topology(only_id()))->status, TopologyStatus::active);
}

TEST_F(ApiTest, KillAnswersAtOnceAndRemovesEverythingAfterTheWait) {
  start();
  ASSERT_TRUE(submit("words").ok());
  std::string id = only_id();
  ASSERT_TRUE(state_.write_heartbeat({id, "127.0.0.1", 7001, 0, 0, {}}).ok());
  auto answer = nimbus_->client().kill("words", 1);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ((*state_.topology(id))->status, TopologyStatus::killed);
  auto listed = nimbus_->client().list();  // the server answers during the wait
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0]["status"], "killed");
  EXPECT_TRUE(eventually([&] { return nothing_written(); }));
  EXPECT_TRUE(state_.heartbeats(id)->empty());
}

TEST_F(ApiTest, BlobsGoWithTheSubmissionAreReplacedAndGoWithTheKill) {
  start();
  auto answer =
      nimbus_->client().submit("risk", {}, "not really a shared library", {{"rules", "rules: []"}});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  std::string id = only_id();
  EXPECT_EQ((*state_.blob(id, "rules"))->data, "rules: []");

  auto replaced = nimbus_->client().put_blob("risk", "rules", "rules: [new]");
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ((*replaced)["version"], 1);
  EXPECT_EQ((*state_.blob(id, "rules"))->data, "rules: [new]");
  auto listed = nimbus_->client().blobs("risk");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0]["key"], "rules");
  EXPECT_EQ((*listed)[0]["bytes"], 12);

  auto bad_key = nimbus_->client().put_blob("risk", "..", "x");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.code(), make_error_code(NimbusErrc::bad_request));
  auto unknown = nimbus_->client().put_blob("nope", "rules", "x");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.code(), make_error_code(NimbusErrc::not_found));
  auto too_big = nimbus_->client().put_blob(
      "risk", "rules", std::string(coordination::ClusterState::kMaxBlobBytes + 1, 'x'));
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("at most"), std::string::npos) << too_big.error().message;

  ASSERT_TRUE(nimbus_->client().kill("risk", 0).ok());
  EXPECT_TRUE(eventually([&] { return nothing_written(); }));
  EXPECT_TRUE(state_.blob_keys(id)->empty());
}

TEST_F(ApiTest, ABadBlobAtSubmitIsRefusedWritingNothing) {
  start();
  auto answer = nimbus_->client().request(
      "POST", "/api/v1/topologies",
      R"({"name": "risk", "artifact": "eA==", "blobs": {"rules": "%%%"}})");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 400);
  EXPECT_NE(answer->body.find("blob 'rules'"), std::string::npos) << answer->body;
  EXPECT_TRUE(nothing_written());
}

TEST_F(ApiTest, RebalanceReplansOnMoreWorkersAndRestoresTheStatus) {
  start();
  ASSERT_TRUE(submit("words", {{"topology.workers", "2"}}).ok());
  std::string id = only_id();
  auto before = assignment(id);
  auto answer = nimbus_->client().rebalance("words", 0, 3, {{"bolt", 2}});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_TRUE(eventually([&] { return assignment(id).executors.size() == 5; }));
  auto after = assignment(id);
  std::set<int> ports;
  std::set<std::pair<std::string, int>> slots;
  for (const auto& [task, slot] : after.task_slots) slots.insert({slot.supervisor_id, slot.port});
  EXPECT_EQ(slots.size(), 3u);
  EXPECT_EQ(after.task_slots.at(1), before.task_slots.at(1));  // the spout stayed
  EXPECT_TRUE(eventually([&] { return (*state_.topology(id))->status == TopologyStatus::active; }));
  EXPECT_EQ((*state_.topology(id))->num_workers, 3);
}

// Checked whole before anything changes: refused at once, and the topology stays as it was.
TEST_F(ApiTest, RebalanceWithAnUnknownComponentIsRefusedAndChangesNothing) {
  start();
  ASSERT_TRUE(submit("words", {{"topology.workers", "2"}}).ok());
  std::string id = only_id();
  auto before = assignment(id);
  auto answer = nimbus_->client().rebalance("words", 0, 2, {{"unknown", 2}});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.code(), make_error_code(NimbusErrc::bad_request));
  EXPECT_NE(answer.error().message.find("unknown component 'unknown'"), std::string::npos)
      << answer.error().message;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ((*state_.topology(id))->status, TopologyStatus::active);
  EXPECT_EQ(assignment(id), before);
}

TEST_F(ApiTest, RebalanceBeyondTheFreeSlotsIsRefused) {
  start();
  ASSERT_TRUE(submit("words", {{"topology.workers", "2"}}).ok());
  auto answer = nimbus_->client().rebalance("words", 0, 9, {});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.code(), make_error_code(NimbusErrc::bad_request));
  EXPECT_EQ((*state_.topology(only_id()))->status, TopologyStatus::active);
}

TEST_F(ApiTest, MonitorMovesTheExecutorsOfASilentWorkerOnly) {
  start({{"nimbus.task.timeout.secs", "1"}, {"nimbus.monitor.freq.secs", "1"}});
  ASSERT_TRUE(submit("words", {{"topology.workers", "2"}}).ok());
  std::string id = only_id();
  auto before = assignment(id);
  auto live = before.task_slots.at(1);
  coordination::Slot silent;
  for (const auto& [task, slot] : before.task_slots)
    if (!(slot == live)) silent = slot;
  auto beat_live = [&] {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    EXPECT_TRUE(state_.write_heartbeat({id, live.host, live.port, now, 1, {}}).ok());
  };
  bool moved = eventually(
      [&] {
        beat_live();
        for (const auto& [task, slot] : assignment(id).task_slots)
          if (slot == silent) return false;
        return true;
      },
      std::chrono::seconds(15));
  ASSERT_TRUE(moved);
  auto after = assignment(id);
  for (const auto& [task, slot] : before.task_slots) {
    if (slot == live) {
      EXPECT_EQ(after.task_slots.at(task), live) << "task " << task << " moved";
    }
  }
  std::set<std::pair<std::string, int>> slots;
  for (const auto& [task, slot] : after.task_slots) slots.insert({slot.supervisor_id, slot.port});
  EXPECT_EQ(slots.size(), 2u);
}

TEST_F(ApiTest, MonitorMovesWorkOffASupervisorThatIsGoneForTheTaskTimeout) {
  start({{"nimbus.monitor.freq.secs", "1"}, {"nimbus.task.timeout.secs", "2"}});
  ASSERT_TRUE(state_.register_supervisor(supervisor("sup-c", {7005})).ok());
  ASSERT_TRUE(submit("words", {{"topology.workers", "3"}}).ok());
  std::string id = only_id();
  ASSERT_EQ(supervisors_of(assignment(id)).size(), 3u);
  // A supervisor's node goes when its session ends: end the store's session, then bring the
  // other two back.
  store_.expire_session();
  ASSERT_TRUE(state_.register_supervisor(supervisor("sup-a", {7001, 7002})).ok());
  ASSERT_TRUE(state_.register_supervisor(supervisor("sup-b", {7003, 7004})).ok());
  EXPECT_TRUE(eventually([&] { return !supervisors_of(assignment(id)).contains("sup-c"); }));
  EXPECT_EQ(assignment(id).task_slots.size(), 7u);
}

// A supervisor whose node is missing for a moment (its session is being recovered after a
// ZooKeeper blip) keeps its work: its workers are likely fine.
TEST_F(ApiTest, MonitorKeepsTheWorkOfASupervisorMissingForLessThanTheTaskTimeout) {
  start({{"nimbus.monitor.freq.secs", "1"}, {"nimbus.task.timeout.secs", "30"}});
  ASSERT_TRUE(state_.register_supervisor(supervisor("sup-c", {7005})).ok());
  ASSERT_TRUE(submit("words", {{"topology.workers", "3"}}).ok());
  std::string id = only_id();
  auto before = assignment(id);
  store_.expire_session();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // three monitor passes without sup-c
  for (const char* name : {"sup-a", "sup-b", "sup-c"}) {
    auto ports = std::string(name) == "sup-a"   ? std::vector<int>{7001, 7002}
                 : std::string(name) == "sup-b" ? std::vector<int>{7003, 7004}
                                                : std::vector<int>{7005};
    ASSERT_TRUE(state_.register_supervisor(supervisor(name, ports)).ok());
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto after = assignment(id);
  EXPECT_EQ(after.epoch, before.epoch) << "the monitor reassigned";
  EXPECT_EQ(after.task_slots, before.task_slots);
}

TEST_F(ApiTest, ASecondNimbusIsNotTheLeaderAndAnswers503) {
  start();
  InProcessNimbus second(store_, dir_.path(), inspector_.inspector());
  EXPECT_TRUE(nimbus_->nimbus().is_leader());
  EXPECT_FALSE(second.nimbus().is_leader());
  auto answer = second.client().list();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.code(), make_error_code(NimbusErrc::not_leader));
}

TEST_F(ApiTest, ClusterShowsSupervisorsUsedSlotsAndLeader) {
  start();
  ASSERT_TRUE(submit("words").ok());
  auto cluster = nimbus_->client().cluster();
  ASSERT_TRUE(cluster.ok());
  EXPECT_FALSE((*cluster)["leader"].is_null());
  int used = 0;
  for (const auto& s : (*cluster)["supervisors"]) used += static_cast<int>(s["used"].size());
  EXPECT_EQ(used, 1);
}

// A number is checked against its range, never truncated: 4294967298 workers is not 2.
TEST_F(ApiTest, IntegersOutOfRangeAreRefusedNamingTheKeyAndTheRange) {
  start();
  ASSERT_TRUE(submit("words", {{"topology.workers", "2"}}).ok());
  std::string id = only_id();
  auto before = assignment(id);
  auto client = nimbus_->client();
  const std::vector<std::pair<std::string, std::string>> refused{
      {R"({"workers": 4294967298})",
       "'workers' must be an integer from 1 to 10000, got 4294967298"},
      {R"({"workers": 18446744073709551615})", "'workers' must be an integer from 1 to 10000"},
      {R"({"workers": -2})", "'workers' must be an integer from 1 to 10000, got -2"},
      {R"({"workers": 2.5})", "'workers' must be an integer"},
      {R"({"executors": {"bolt": 4294967297}})",
       "executors of 'bolt' must be an integer from 1 to 10000, got 4294967297"},
      {R"({"wait_secs": 9999999999})", "'wait_secs' must be an integer from 0 to 86400"}};
  for (const auto& [body, expected] : refused) {
    auto answer = client.request("POST", "/api/v1/topologies/words/rebalance", body);
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer->status, 400) << body;
    EXPECT_NE(answer->body.find(expected), std::string::npos) << body << " -> " << answer->body;
  }
  auto kill = client.request("POST", "/api/v1/topologies/words/kill", R"({"wait_secs": -1})");
  ASSERT_TRUE(kill.ok());
  EXPECT_EQ(kill->status, 400);
  EXPECT_EQ(assignment(id), before);
  EXPECT_EQ((*state_.topology(id))->status, TopologyStatus::active);
}

// A request that declares a body over nimbus.max.request.bytes is answered from its header: the
// test never sends the body. (Over plain HTTP, to speak it byte by byte: the limit is applied
// the same way to both kinds of connection.)
TEST_F(ApiTest, AnOverLimitBodyIsRefusedWith413BeforeItIsRead) {
  start({{"nimbus.max.request.bytes", "1048576"}, {"security.enabled", "false"}});
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(nimbus_->nimbus().port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::string header =
      "POST /api/v1/topologies HTTP/1.1\r\nHost: nimbus\r\nContent-Type: application/json\r\n"
      "Content-Length: 300000000\r\n\r\n";
  ASSERT_EQ(::send(fd, header.data(), header.size(), 0), static_cast<ssize_t>(header.size()));
  timeval five_seconds{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, n);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("300000000 bytes is over nimbus.max.request.bytes (1048576 bytes)"),
            std::string::npos)
      << answer;

  // The client reads the early answer though its write is cut short.
  auto big = nimbus_->client().request("POST", "/api/v1/topologies", std::string(4 << 20, 'x'));
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_EQ(big->status, 413);
  EXPECT_TRUE(nothing_written());
}

// Requests are served concurrently: a submit held in inspection does not hold a list.
TEST_F(ApiTest, ASlowSubmitDoesNotHoldOtherRequests) {
  start();
  inspector_.hold->store(true);
  std::atomic<bool> submitted{false};
  std::thread slow([&] {
    EXPECT_TRUE(submit("slow").ok());
    submitted = true;
  });
  ASSERT_TRUE(eventually([&] { return inspector_.calls->load() == 1; }));
  auto listed = nimbus_->client().list();
  EXPECT_TRUE(listed.ok());
  EXPECT_FALSE(submitted.load()) << "the list was answered only after the submit";
  inspector_.hold->store(false);
  slow.join();
  EXPECT_TRUE(submitted.load());
}

TEST_F(ApiTest, MalformedBodyAndUnknownPathAreRefused) {
  start();
  auto client = nimbus_->client();
  auto bad = client.request("POST", "/api/v1/topologies", "{not json");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
  auto missing = client.request("GET", "/api/v1/nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  auto artifact = client.request("GET", "/api/v1/artifacts/..%2f..%2fetc");
  ASSERT_TRUE(artifact.ok());
  EXPECT_EQ(artifact->status, 404);
}

}  // namespace
}  // namespace gale::nimbus::testing
