// The finance topologies on a whole local cluster (ZooKeeper, Nimbus, two supervisors, worker
// processes) with gale-kafka-dev, a real redis-server and the fake SMS gateway:
// - sms-notify sends exactly one SMS per qualifying account change while workers are killed
//   with SIGKILL again and again mid-stream and their tuples are replayed (issue 8: the Kafka
//   spout stalled for good after repeated kills);
// - risk-alert's rules, given as a blob at submit, are replaced with `gale blob put` and the
//   running workers apply them without a restart;
// - risk-alert raises exactly the planted alerts while the workers of its rules tasks are
//   killed with SIGKILL again and again, a velocity burst straddling a kill included: its
//   windows are checkpointed state (issue 11).
// Counts come from the gateway, Redis and ZooKeeper, never from logs.
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "gale/events/generator.h"
#include "gale/redis/client.h"
#include "gale/risk/engine.h"
#include "gale/state/backend.h"
#include "gale/testing/cluster_fixture.h"
#include "gale/testing/fake_gateway_process.h"
#include "gale/testing/kafka_dev_broker.h"
#include "gale/testing/kafka_test_support.h"
#include "gale/testing/redis_server.h"

namespace gale::testing {
namespace {

namespace fs = std::filesystem;

const std::string kTopologies = GALE_TOPOLOGY_DIR;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FinanceCluster : public Cluster {
 protected:
  RedisServer redis_server;
  std::unique_ptr<KafkaDevBroker> broker;
  std::string bootstrap;
  std::unique_ptr<redis::RedisClient> redis;

  void SetUp() override {
    Cluster::SetUp();
    if (HasFatalFailure()) return;
    broker = std::make_unique<KafkaDevBroker>(
        kBin, dir / "logs",
        std::vector<std::string>{"account-changes:2", "transactions:2", "risk-alerts:1"});
    bootstrap = broker->bootstrap();
    redis::ConnectionOptions options;
    options.port = redis_server.port();
    redis = std::make_unique<redis::RedisClient>(options);
  }

  void TearDown() override {
    Cluster::TearDown();
    broker.reset();
  }

  // Every alert risk-alert stored in the Redis stream, as (rule, transaction id).
  std::set<std::pair<std::string, std::string>> alerts() {
    std::set<std::pair<std::string, std::string>> out;
    auto reply = redis->command({"XRANGE", "risk:alerts", "-", "+"});
    if (!reply) return out;
    for (const auto& entry : reply.value().elements) {
      auto alert = nlohmann::json::parse(entry.elements.at(1).elements.at(1).str);
      out.insert({alert["rule"].get<std::string>(), alert["transaction"]["id"].get<std::string>()});
    }
    return out;
  }

  std::vector<std::string> common_settings(const std::string& group) {
    return {"-c", "kafka.bootstrap.servers=" + bootstrap, "-c", "kafka.group.id=" + group, "-c",
            "redis.host=127.0.0.1", "-c", "redis.port=" + std::to_string(redis_server.port()), "-c",
            "topology.message.timeout.secs=8",
            // A killed worker's consumer leaves the group after this, and its partitions move.
            "-c", "kafka.consumer.session.timeout.ms=6000"};
  }
};

TEST_F(FinanceCluster, SmsNotifySendsOneSmsPerQualifyingChangeWhileWorkersAreKilledAgainAndAgain) {
  // The population's profiles in Redis, and the changes that must get an SMS.
  events::GeneratorOptions options;
  options.seed = 11;
  options.accounts = 200;
  std::map<std::string, events::CustomerProfile> profiles;
  for (const auto& p : events::customer_profiles(options)) {
    profiles[p.customer] = p;
    ASSERT_TRUE(redis->command({"HSET", "customer:" + p.customer, "phone", p.phone, "name", p.name,
                                "language", p.language, "notify_threshold_minor",
                                std::to_string(p.notify_threshold_minor), "opted_in",
                                p.opted_in ? "true" : "false"}));
  }
  const int count = 3000;
  std::set<std::string> qualifying;
  events::AccountChangeGenerator changes(options);
  for (int i = 0; i < count; ++i) {
    auto c = changes.next();
    const auto& p = profiles.at(c.customer);
    if (p.opted_in && c.amount_minor >= p.notify_threshold_minor) qualifying.insert(c.event_id);
  }
  ASSERT_GT(qualifying.size(), 100u);

  FakeGatewayProcess gateway;
  auto settings = common_settings("sms-e2e");
  std::vector<std::string> submit{
      "submit", kTopologies + "/sms_notify.so", "--name", "sms",
      "-c",     "topology.workers=2",           "-c",     "sms.source=kafka",
      "-c",     "kafka.topics=account-changes", "-c",     "sms.gateway.url=" + gateway.url(),
      "-c",     "sms.claim.lease.ms=3000"};
  submit.insert(submit.end(), settings.begin(), settings.end());
  auto r = gale(submit);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = topology_id("sms");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2; })) << "workers did not start";

  // The changes arrive over about twenty seconds; from a tenth of the way on, a worker picked
  // at random dies every four seconds, five times (a paused partition, a revoked one, a member
  // leaving and joining again: every path of the spout's group handling is taken).
  ChildProcess producer(
      {kBin + "/gale-gen", "account-changes", "--count", std::to_string(count), "--accounts", "200",
       "--seed", "11", "--rate", "150", "--brokers", bootstrap, "--topic", "account-changes"},
      (dir / "logs" / "gale-gen.log").string());
  auto received = [&] { return nlohmann::json::parse(gateway.get("/stats").body); };
  ASSERT_TRUE(eventually([&] { return received()["received"] >= qualifying.size() / 10; }, 40s))
      << slurp(dir / "logs" / "gale-gen.log");
  const auto pids = worker_pids(id);
  ASSERT_EQ(pids.size(), 2u);
  std::mt19937 random(8);
  for (int kill = 0; kill < 5; ++kill) {
    auto now = worker_pids(id);
    if (!now.empty())
      ::kill(now[std::uniform_int_distribution<std::size_t>(0, now.size() - 1)(random)], SIGKILL);
    std::this_thread::sleep_for(4s);
  }

  ASSERT_TRUE(
      eventually([&] { return received()["distinct_references"] == qualifying.size(); }, 60s))
      << "SMS for " << received().dump() << " of " << qualifying.size() << " changes";
  std::this_thread::sleep_for(3s);  // past the claim lease: a late duplicate would show now
  auto stats = received();
  // The Redis claim sends each change once, but for a worker killed between the gateway's
  // accept and "sent" in Redis (idempotent_sender.h): the retry after the lease sends again,
  // with the same Idempotency-Key (the change's reference), which a gateway drops. So at most
  // one repeat per kill (five), each of a qualifying change.
  EXPECT_LE(stats["received"].get<std::uint64_t>(), qualifying.size() + 5)
      << "more SMS than qualifying changes and kills: " << stats.dump();
  std::set<std::string> references;
  for (const auto& m : nlohmann::json::parse(gateway.get("/messages").body))
    references.insert(m["reference"].get<std::string>());
  EXPECT_EQ(references, qualifying);
  EXPECT_NE(worker_pids(id), pids) << "the killed worker was restarted";
}

TEST_F(FinanceCluster, RiskAlertRulesReplacedWithBlobPutApplyWithoutARestart) {
  fs::copy_file(GALE_RISK_RULES, dir / "rules.yaml");
  auto settings = common_settings("risk-e2e");
  std::vector<std::string> submit{"submit", kTopologies + "/risk_alert.so",
                                  "--name", "risk",
                                  "-c",     "topology.workers=2",
                                  "-c",     "risk.source=kafka",
                                  "-c",     "kafka.topics=transactions",
                                  "-c",     "risk.rules=blob:rules",
                                  "--blob", "rules=" + (dir / "rules.yaml").string()};
  submit.insert(submit.end(), settings.begin(), settings.end());
  auto r = gale(submit);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id = topology_id("risk");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2; }));

  auto probe = [&](const std::string& tx_id, std::int64_t amount_minor) {
    events::Transaction t;
    t.id = tx_id;
    t.account = "acct-probe";
    t.customer = "cust-probe";
    t.card = "card-probe";
    t.amount_minor = amount_minor;
    t.currency = "EUR";
    t.counterparty = "merchant-probe";
    t.city = "Amsterdam";
    t.lat = 52.37;
    t.lon = 4.90;
    t.ts_ms = 1795525200000;
    kafka::testing::produce_one(bootstrap, "transactions", 0, events::to_json(t));
  };

  probe("probe-before", 2500000);
  ASSERT_TRUE(eventually(
      [&] {
        return alerts().count({"large-amount", "probe-before"}) == 1;
      },
      60s));
  auto pids = worker_pids(id);

  std::ofstream(dir / "rules.yaml", std::ios::app)
      << "  - id: reload-probe\n    kind: threshold\n    severity: low\n"
      << "    when: \"string.sub(tx.id, 1, 6) == 'probe-'\"\n";
  r = run_command({kBin + "/gale", "blob", "put", "--config", yaml, "risk", "rules",
                   (dir / "rules.yaml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("version 1"), std::string::npos) << r.output;

  int n = 0;
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& [rule, tx] : alerts())
          if (rule == "reload-probe") return true;
        probe("probe-" + std::to_string(++n), 1000);
        return false;
      },
      60s))
      << "the replaced rules never applied";
  EXPECT_EQ(alerts().count({"reload-probe", "probe-before"}), 0u);
  EXPECT_EQ(worker_pids(id), pids) << "no worker restarted";
}

TEST_F(FinanceCluster, RiskAlertRaisesExactlyThePlantedAlertsWhileRulesWorkersAreKilled) {
  // The stream, with planted patterns, and the alerts it must raise.
  auto generated = run_command({kBin + "/gale-gen", "transactions", "--count", "5000", "--accounts",
                                "200", "--suspicious", "0.03", "--seed", "21", "--out",
                                (dir / "transactions.jsonl").string(), "--expected",
                                (dir / "expected.jsonl").string()});
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  std::set<std::pair<std::string, std::string>> expected;  // (rule, transaction id)
  {
    std::ifstream in(dir / "expected.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      expected.insert({j["rule"].get<std::string>(), j["transaction"].get<std::string>()});
    }
  }
  ASSERT_GT(expected.size(), 100u);

  // A velocity burst of one card, five transactions in 40 s (card-velocity: 5 in 60 s), each
  // to a new payee: three before a kill, two after. What it must raise comes from the rules
  // engine itself.
  std::vector<events::Transaction> burst;
  for (int i = 0; i < 5; ++i) {
    events::Transaction t;
    t.id = "straddle-" + std::to_string(i);
    t.account = "acct-straddle";
    t.card = "card-straddle";
    t.customer = "cust-straddle";
    t.amount_minor = 300000;  // 3000.00 online: first-time-payee's threshold
    t.currency = "EUR";
    t.channel = events::Channel::online;
    t.counterparty = "merchant-straddle-" + std::to_string(i);
    t.city = "Amsterdam";
    t.lat = 52.37;
    t.lon = 4.90;
    t.ts_ms = 1795176000000 + i * 10000;  // 2026-11-20T09:20:00Z on
    burst.push_back(t);
  }
  {
    auto rules = risk::load_rules_file(GALE_RISK_RULES);
    ASSERT_TRUE(rules) << rules.error().message;
    risk::RiskEngine engine(rules.value());
    for (const auto& t : burst)
      for (const auto& alert : engine.evaluate(t)) expected.insert({alert.rule, t.id});
  }
  ASSERT_EQ(expected.count({"card-velocity", "straddle-4"}), 1u);
  for (const auto& t : burst) ASSERT_EQ(expected.count({"first-time-payee", t.id}), 1u);

  auto settings = common_settings("risk-kills");
  std::vector<std::string> submit{"submit", kTopologies + "/risk_alert.so",
                                  "--name", "risk-kills",
                                  "-c",     "topology.workers=2",
                                  "-c",     "risk.source=kafka",
                                  "-c",     "risk.spout.parallelism=2",
                                  "-c",     "kafka.topics=transactions",
                                  "-c",     "kafka.first.poll.offset.strategy=earliest",
                                  "-c",     "topology.state.checkpoint.interval.ms=300"};
  submit.insert(submit.end(), settings.begin(), settings.end());
  auto r = gale(submit);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string id = topology_id("risk-kills");
  ASSERT_TRUE(eventually([&] { return workers(id) == 2; })) << "workers did not start";

  Config backend_conf;  // checkpoints go to the topology's Redis ("auto" on a cluster)
  ASSERT_EQ(backend_conf.set("redis.port", redis_server.port()).status, ConfigResult::Status::ok);
  auto backend = state::make_backend(backend_conf, true);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  auto last_checkpoint = [&]() -> CheckpointId {
    auto done = (*backend)->completed(id);
    return done.ok() && !done->empty() ? done->back().id : 0;
  };
  // The workers running a rules task, from their heartbeats.
  auto rules_workers = [&] {
    std::vector<pid_t> pids;
    auto beats = state->heartbeats(id);
    if (beats.ok())
      for (const auto& beat : *beats)
        if (beat.stats.value("/components/rules/executors"_json_pointer, 0) > 0)
          if (pid_t pid = worker_on_port(beat.port)) pids.push_back(pid);
    return pids;
  };
  auto epoch = [&] {
    auto a = state->assignment(id);
    return a.ok() && *a ? (*a)->epoch : 0;
  };
  ASSERT_TRUE(eventually([&] { return last_checkpoint() > 0; }, 60s)) << "no checkpoint completed";
  const std::uint64_t first_epoch = epoch();

  // The burst's first three, then a checkpoint that holds them, then the kill.
  for (int i = 0; i < 3; ++i)
    kafka::testing::produce_one(bootstrap, "transactions", 0, events::to_json(burst[i]));
  ASSERT_TRUE(eventually(
      [&] {
        auto now = alerts();
        for (int i = 0; i < 3; ++i)
          if (now.count({"first-time-payee", burst[i].id}) == 0) return false;
        return true;
      },
      60s))
      << "the burst's first transactions were not evaluated\n"
      << gale({"status", "risk-kills"}).output;
  // A checkpoint triggered after they were evaluated holds them.
  const std::int64_t evaluated_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
  ASSERT_TRUE(eventually(
      [&] {
        auto done = (*backend)->completed(id);
        return done.ok() && !done->empty() && done->back().triggered_ms > evaluated_ms;
      },
      60s));
  auto killed = rules_workers();
  ASSERT_FALSE(killed.empty());
  for (pid_t pid : killed) ::kill(pid, SIGKILL);
  for (int i = 3; i < 5; ++i)
    kafka::testing::produce_one(bootstrap, "transactions", 0, events::to_json(burst[i]));

  // The stream, over about twelve seconds, while a rules task's worker dies every three.
  ChildProcess producer(
      {kBin + "/gale-gen", "transactions", "--count", "5000", "--accounts", "200", "--suspicious",
       "0.03", "--seed", "21", "--rate", "400", "--brokers", bootstrap, "--topic", "transactions"},
      (dir / "logs" / "gale-gen.log").string());
  std::mt19937 random(5);
  for (int kill = 0; kill < 3; ++kill) {
    std::this_thread::sleep_for(3s);
    auto pids = rules_workers();
    if (!pids.empty())
      ::kill(pids[std::uniform_int_distribution<std::size_t>(0, pids.size() - 1)(random)], SIGKILL);
  }

  // (On a timeout the comparison below says which are missing.)
  if (eventually([&] { return alerts().size() >= expected.size(); }, 120s))
    std::this_thread::sleep_for(3s);  // anything extra would show up now
  auto raised = alerts();
  std::vector<std::pair<std::string, std::string>> missing, extra;
  std::set_difference(expected.begin(), expected.end(), raised.begin(), raised.end(),
                      std::back_inserter(missing));
  std::set_difference(raised.begin(), raised.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  auto show = [](const auto& v) {
    std::string out;
    for (std::size_t i = 0; i < std::min<std::size_t>(v.size(), 10); ++i)
      out += " " + v[i].first + "/" + v[i].second;
    return out;
  };
  EXPECT_TRUE(missing.empty()) << missing.size() << " missing:" << show(missing) << "; logs in "
                               << dir / "logs";
  EXPECT_TRUE(extra.empty()) << extra.size() << " extra:" << show(extra);
  EXPECT_EQ(raised.count({"card-velocity", "straddle-4"}), 1u) << "the straddling burst";
  EXPECT_GE(epoch(), first_epoch + 2) << "the kills were recovered from a checkpoint";
}

}  // namespace
}  // namespace gale::testing
