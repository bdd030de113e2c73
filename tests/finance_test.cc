// risk-alert end to end in local mode, as a user runs it: gale-kafka-dev (librdkafka's mock
// cluster, the Kafka protocol for real) and a real redis-server; gale-gen produces a stream
// with planted patterns and writes the alerts it must raise; `gale local risk_alert.so` reads
// the topic and writes alerts to Redis and to Kafka. Counts come from Redis and Kafka, never
// from logs.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "gale/events/events.h"
#include "gale/redis/client.h"
#include "gale/testing/child_process.h"
#include "gale/testing/kafka_dev_broker.h"
#include "gale/testing/kafka_test_support.h"
#include "gale/testing/redis_server.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using AlertKey = std::pair<std::string, std::string>;  // (rule, transaction id)

const std::string kBin = GALE_BIN_DIR;
const std::string kRiskAlert = std::string(GALE_TOPOLOGY_DIR) + "/risk_alert.so";
const std::string kDefaultRules = GALE_RISK_RULES;

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FinanceLocal : public ::testing::Test {
 protected:
  RedisServer redis_server;
  fs::path dir = fs::temp_directory_path() / ("gale-finance-" + std::to_string(::getpid()));
  std::unique_ptr<KafkaDevBroker> broker;
  std::string bootstrap;
  std::unique_ptr<redis::RedisClient> redis;

  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
    broker = std::make_unique<KafkaDevBroker>(
        kBin, dir,
        std::vector<std::string>{"transactions:3", "risk-alerts:1", "transactions-dlq:1"});
    bootstrap = broker->bootstrap();
    redis::ConnectionOptions options;
    options.port = redis_server.port();
    redis = std::make_unique<redis::RedisClient>(options);
  }

  void TearDown() override {
    broker.reset();
    if (!HasFailure()) fs::remove_all(dir);
  }

  std::unique_ptr<ChildProcess> start_risk_alert(const fs::path& rules) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{
            kBin + "/gale", "local", kRiskAlert, "--duration", "0", "-c", "risk.source=kafka", "-c",
            "kafka.bootstrap.servers=" + bootstrap, "-c", "kafka.topics=transactions", "-c",
            "kafka.group.id=risk-e2e", "-c", "redis.host=127.0.0.1", "-c",
            "redis.port=" + std::to_string(redis_server.port()), "-c", "risk.print=false", "-c",
            "risk.rules=" + rules.string(),
            // Window state in Redis (survives a restart), so this test covers it end to end.
            "-c", "risk.state=redis"},
        (dir / "risk-alert.log").string());
  }

  // Every alert in the Redis stream, as (rule, transaction id), with its alert id.
  std::map<AlertKey, std::string> redis_alerts() {
    std::map<AlertKey, std::string> out;
    auto reply = redis->command({"XRANGE", "risk:alerts", "-", "+"});
    if (!reply) return out;
    for (const auto& entry : reply.value().elements) {
      const auto& fields = entry.elements.at(1).elements;
      auto alert = nlohmann::json::parse(fields.at(1).str);
      out[{alert["rule"].get<std::string>(), alert["transaction"]["id"].get<std::string>()}] =
          alert["alert_id"].get<std::string>();
    }
    return out;
  }

  void produce_transaction(const events::Transaction& t) {
    kafka::testing::produce_one(bootstrap, "transactions", 0, events::to_json(t));
  }
};

events::Transaction probe(const std::string& id, std::int64_t amount_minor) {
  events::Transaction t;
  t.id = id;
  t.account = "acct-probe";
  t.card = "card-probe";
  t.customer = "cust-probe";
  t.amount_minor = amount_minor;
  t.currency = "EUR";
  t.channel = events::Channel::pos;
  t.counterparty = "merchant-probe";
  t.city = "Amsterdam";
  t.lat = 52.37;
  t.lon = 4.90;
  t.ts_ms = 1795525200000;  // 2026-11-24T13:00:00Z, daytime
  return t;
}

TEST_F(FinanceLocal,
       PlantedPatternsRaiseExactlyTheirAlertsMalformedEventsAreDeadLetteredAndRulesReload) {
  // 1. A stream with planted patterns and malformed lines, and the alerts it must raise.
  auto generated = run_command({kBin + "/gale-gen", "transactions", "--count", "20000",
                                "--accounts", "300", "--suspicious", "0.02", "--seed", "7",
                                "--malformed", "0.002", "--brokers", bootstrap, "--topic",
                                "transactions", "--expected", (dir / "expected.jsonl").string()});
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(generated.output, m, std::regex(R"((\d+) malformed lines)")))
      << generated.output;
  const std::size_t malformed = std::stoul(m[1]);
  ASSERT_GT(malformed, 0u);
  std::set<AlertKey> expected;
  std::set<std::string> kinds;
  {
    std::ifstream in(dir / "expected.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      expected.insert({j["rule"].get<std::string>(), j["transaction"].get<std::string>()});
      kinds.insert(j["rule"].get<std::string>());
    }
  }
  EXPECT_EQ(kinds.size(), 8u) << "every rule of the default rules should be planted";

  // 2. risk-alert reads it.
  fs::copy_file(kDefaultRules, dir / "rules.yaml");
  auto risk = start_risk_alert(dir / "rules.yaml");
  ASSERT_TRUE(eventually([&] { return redis_alerts().size() >= expected.size(); }, 120s))
      << "alerts in Redis: " << redis_alerts().size() << " of " << expected.size() << "\n"
      << read_file(dir / "risk-alert.log");
  std::this_thread::sleep_for(2s);  // anything extra would show up now
  std::set<AlertKey> raised;
  std::set<std::string> alert_ids;
  for (const auto& [key, id] : redis_alerts()) {
    raised.insert(key);
    alert_ids.insert(id);
  }
  EXPECT_EQ(raised, expected) << "exactly the planted alerts, no more and no fewer";

  // The same alerts on the Kafka topic (at least once: duplicates allowed, nothing missing).
  auto on_kafka = kafka::testing::consume(bootstrap, "risk-alerts", 1, expected.size(), 30s);
  std::set<std::string> kafka_ids;
  for (const auto& message : on_kafka) kafka_ids.insert(message.key.value_or(""));
  EXPECT_EQ(kafka_ids, alert_ids);

  // Every malformed line is in the dead-letter topic, with its reason and its bytes.
  auto letters = kafka::testing::consume(bootstrap, "transactions-dlq", 1, malformed, 30s);
  EXPECT_EQ(letters.size(), malformed);
  for (const auto& letter : letters) {
    auto j = nlohmann::json::parse(letter.value.value_or("{}"));
    EXPECT_FALSE(j.value("reason", "").empty()) << letter.value.value_or("");
    EXPECT_TRUE(j.contains("value"));
  }

  // 3. Rules replaced while it runs. A probe before the change raises only what the old rules
  // say (large-amount), none of the new rule.
  produce_transaction(probe("probe-before", 2500000));
  ASSERT_TRUE(eventually(
      [&] {
        return redis_alerts().count({"large-amount", "probe-before"}) == 1;
      },
      30s));
  std::ofstream(dir / "rules.yaml", std::ios::app)
      << "  - id: reload-probe\n    kind: threshold\n    severity: low\n"
      << "    when: \"string.sub(tx.id, 1, 6) == 'probe-'\"\n";
  int n = 0;
  ASSERT_TRUE(eventually(
      [&] {
        auto alerts = redis_alerts();
        for (const auto& [key, id] : alerts)
          if (key.first == "reload-probe") return true;
        produce_transaction(probe("probe-" + std::to_string(++n), 1000));
        return false;
      },
      30s))
      << "the new rule never fired\n"
      << read_file(dir / "risk-alert.log");
  EXPECT_EQ(redis_alerts().count({"reload-probe", "probe-before"}), 0u);
  EXPECT_TRUE(risk->running()) << "no restart";

  // A rules file that does not load leaves the rules in force.
  std::ofstream(dir / "rules.yaml") << "rules: [ {id: broken, kind: nonsense} ]\n";
  std::this_thread::sleep_for(1500ms);  // past the next check of the file
  produce_transaction(probe("probe-after-broken", 1000));
  EXPECT_TRUE(eventually(
      [&] {
        return redis_alerts().count({"reload-probe", "probe-after-broken"}) == 1;
      },
      30s));
  EXPECT_TRUE(risk->running());

  // 4. A list grows in Redis (a set per list) while it runs: the next transaction from a device
  // added there raises the list rule, with no change to the rules file.
  ASSERT_TRUE(redis->command({"SADD", "risk:list:blacklisted-devices", "dev-redis-1"}));
  auto from_listed = probe("probe-listed-device", 1000);
  from_listed.device = "dev-redis-1";
  std::this_thread::sleep_for(1500ms);  // past the next refresh of the lists
  produce_transaction(from_listed);
  EXPECT_TRUE(eventually(
      [&] {
        return redis_alerts().count({"blacklisted-device", "probe-listed-device"}) == 1;
      },
      30s))
      << read_file(dir / "risk-alert.log");
}

}  // namespace
}  // namespace gale::testing
