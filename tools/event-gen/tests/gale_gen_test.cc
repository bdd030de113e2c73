// gale-gen run as a user runs it: files, stdout, bad flags, Kafka (librdkafka's mock cluster,
// in this process, on loopback) and Redis (a real redis-server on loopback).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "gale/events/core_banking.h"
#include "gale/events/events.h"
#include "gale/events/generator.h"
#include "gale/redis/client.h"
#include "gale/testing/child_process.h"
#include "gale/testing/redis_server.h"

namespace gale::events {
namespace {

using gale::testing::run_command;
namespace fs = std::filesystem;

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class GaleGenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gale-gen-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  gale::testing::CommandResult gen(std::vector<std::string> args) {
    args.insert(args.begin(), GALE_GEN_BIN);
    return run_command(args);
  }
  fs::path file(const std::string& name) const { return dir_ / name; }

  fs::path dir_;
};

TEST_F(GaleGenTest, WritesTransactionsAndTheirManifest) {
  auto r = gen({"transactions", "--count", "3000", "--accounts", "200", "--suspicious", "0.1",
                "--seed", "17", "--out", file("tx.jsonl"), "--expected", file("expected.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> lines = read_lines(file("tx.jsonl"));
  ASSERT_EQ(lines.size(), 3000u);
  // The same transactions the library generates for these options, byte for byte.
  TransactionGenerator generator({.seed = 17, .accounts = 200, .suspicious = 0.1});
  std::set<std::string> expected;
  for (const std::string& line : lines) {
    GeneratedTransaction g = generator.next();
    ASSERT_EQ(line, to_json(g.transaction));
    for (const ExpectedAlert& a : g.expected_alerts)
      expected.insert(manifest_line(a, g.transaction));
  }
  std::vector<std::string> manifest = read_lines(file("expected.jsonl"));
  EXPECT_GT(manifest.size(), 100u);
  EXPECT_EQ(std::set<std::string>(manifest.begin(), manifest.end()), expected);
  auto first = nlohmann::json::parse(manifest.front());
  EXPECT_TRUE(first.contains("rule") && first.contains("transaction")) << manifest.front();
  EXPECT_NE(r.output.find("3000 transactions"), std::string::npos) << r.output;
}

// The core banking log in each connector's format: the library's records byte for byte, and
// the expected balances of what was written.
TEST_F(GaleGenTest, WritesTheCoreBankingLogAndItsExpectedBalances) {
  for (auto [name, format] : {std::pair{"debezium", gale::events::CdcFormat::debezium},
                              std::pair{"canal", gale::events::CdcFormat::canal},
                              std::pair{"maxwell", gale::events::CdcFormat::maxwell}}) {
    auto r = gen({"core-banking", "--format", name, "--count", "400", "--accounts", "50", "--seed",
                  "3", "--duplicates", "0.1", "--out", file("log.jsonl"), "--expected",
                  file("balances.json")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    gale::events::CoreBankingOptions options;
    options.seed = 3;
    options.accounts = 50;
    options.duplicates = 0.1;
    options.gap_ms = gale::events::GeneratorOptions{}.gap_ms;  // gale-gen's --gap-ms default
    gale::events::CoreBankingGenerator generator(options, format);
    std::vector<std::string> lines = read_lines(file("log.jsonl"));
    ASSERT_EQ(lines.size(), 400u) << name;
    for (const std::string& line : lines) ASSERT_EQ(line, generator.next().value) << name;
    EXPECT_EQ(read_file(file("balances.json")), generator.manifest().to_json() + "\n") << name;
    auto manifest = nlohmann::json::parse(read_file(file("balances.json")));
    EXPECT_EQ(manifest["records"], 400);
    EXPECT_GT(manifest["duplicates"].get<int>(), 0);
    EXPECT_FALSE(manifest["accounts"].empty());
    EXPECT_NE(r.output.find("400 core banking changes"), std::string::npos) << r.output;
  }
}

TEST_F(GaleGenTest, SameSeedSameBytesEveryKind) {
  for (const char* kind : {"transactions", "account-changes", "profiles"}) {
    std::vector<std::string> extra = std::string(kind) == "profiles"
                                         ? std::vector<std::string>{}
                                         : std::vector<std::string>{"--count", "500"};
    auto run = [&](const char* seed, const std::string& name) {
      std::vector<std::string> args = {kind, "--accounts", "80",      "--seed",
                                       seed, "--out",      file(name)};
      args.insert(args.end(), extra.begin(), extra.end());
      auto r = gen(args);
      EXPECT_EQ(r.exit_code, 0) << r.output;
      return read_file(file(name));
    };
    std::string a = run("5", "a"), b = run("5", "b"), c = run("6", "c");
    EXPECT_FALSE(a.empty()) << kind;
    EXPECT_EQ(a, b) << kind;
    EXPECT_NE(a, c) << kind;
  }
}

TEST_F(GaleGenTest, EveryLineOfEveryKindParses) {
  ASSERT_EQ(gen({"account-changes", "--count", "400", "--out", file("c")}).exit_code, 0);
  for (const std::string& line : read_lines(file("c")))
    EXPECT_TRUE(parse_account_change(line)) << line;
  ASSERT_EQ(gen({"profiles", "--accounts", "30", "--out", file("p")}).exit_code, 0);
  std::vector<std::string> profiles = read_lines(file("p"));
  EXPECT_EQ(profiles.size(), 30u);
  for (const std::string& line : profiles) EXPECT_TRUE(parse_customer_profile(line)) << line;
}

TEST_F(GaleGenTest, MalformedLinesComeBetweenTheSameValidLines) {
  ASSERT_EQ(gen({"transactions", "--count", "2000", "--out", file("clean")}).exit_code, 0);
  auto r = gen({"transactions", "--count", "2000", "--malformed", "0.1", "--out", file("dirty")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> valid;
  int malformed = 0;
  for (const std::string& line : read_lines(file("dirty"))) {
    if (parse_transaction(line))
      valid.push_back(line);
    else
      ++malformed;
  }
  EXPECT_EQ(valid, read_lines(file("clean")));
  EXPECT_GT(malformed, 120);  // about 10% of ~2220 lines
  EXPECT_LT(malformed, 330);
  EXPECT_NE(r.output.find(std::to_string(malformed) + " malformed lines"), std::string::npos)
      << r.output;
}

TEST_F(GaleGenTest, RateHoldsLinesPerSecond) {
  auto start = std::chrono::steady_clock::now();
  auto r = gen({"transactions", "--count", "41", "--rate", "100", "--out", file("paced")});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_lines(file("paced")).size(), 41u);
  EXPECT_GE(seconds, 0.4);  // 40 intervals of 10 ms
}

TEST_F(GaleGenTest, BadFlagsGiveOneLineNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  for (const Case& c : std::vector<Case>{
           {{"transactions", "--count", "many"}, "--count"},
           {{"transactions", "--bogus"}, "--bogus"},
           {{"transactions", "--suspicious", "1.5"}, "--suspicious"},
           {{"transactions", "--accounts", "0"}, "--accounts"},
           {{"transactions", "--malformed", "1"}, "--malformed"},
           {{"transactions", "--gap-ms", "0"}, "--gap-ms"},
           {{"transactions", "--start", "tomorrow"}, "--start"},
           {{"transactions", "--brokers", "127.0.0.1:9092"}, "--topic"},
           {{"profiles", "--count", "5"}, "--count"},
           {{"account-changes", "--expected", "x"}, "--expected"},
           {{"core-banking", "--format", "oracle"}, "--format"},
           {{"core-banking", "--duplicates", "1"}, "--duplicates"},
           {{"core-banking", "--suspicious", "0.1"}, "--suspicious"},
           {{"transactions", "--format", "canal"}, "--format"},
           {{"transactions", "--redis", "127.0.0.1:6379"}, "--redis"},
           {{"profiles", "--redis", "localhost"}, "--redis"},
           {{"profiles", "--redis", "127.0.0.1:70000"}, "--redis"},
           {{"profiles", "--redis", ":6379"}, "--redis"},
           {{"profiles", "--redis", "127.0.0.1:6379", "--rate", "10"}, "--rate"},
           {{"trades"}, "trades"},
           {{}, "kind"},
       }) {
    auto r = gen(c.args);
    std::string shown =
        c.args.empty() ? "(none)" : c.args[0] + " " + (c.args.size() > 1 ? c.args[1] : "");
    EXPECT_EQ(r.exit_code, 2) << shown << ": " << r.output;
    EXPECT_NE(r.output.find(c.names), std::string::npos) << shown << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << shown << ": " << r.output;
  }
}

TEST_F(GaleGenTest, UnwritableOutputIsNamed) {
  auto r = gen({"transactions", "--count", "5", "--out", "/nonexistent-dir/tx.jsonl"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--out: cannot write '/nonexistent-dir/tx.jsonl'"), std::string::npos)
      << r.output;
}

// ---- Kafka --------------------------------------------------------------------------------

// librdkafka's mock cluster: brokers on 127.0.0.1, living in this process's rdkafka threads.
class MockKafka {
 public:
  MockKafka() {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!host_) throw std::runtime_error(error);
    cluster_ = rd_kafka_mock_cluster_new(host_, 1);
    if (!cluster_) throw std::runtime_error("cannot start the mock cluster");
  }
  ~MockKafka() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void create_topic(const std::string& topic, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // Every message of the topic, (key, value), read from the beginning until `count` arrived or
  // 20 s passed.
  std::vector<std::pair<std::string, std::string>> read(const std::string& topic, int partitions,
                                                        std::size_t count) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "group.id", "gale-gen-test", error, sizeof error);
    rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p)
      rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer, assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
    std::vector<std::pair<std::string, std::string>> messages;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (messages.size() < count && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        messages.emplace_back(std::string(static_cast<const char*>(m->key), m->key_len),
                              std::string(static_cast<const char*>(m->payload), m->len));
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return messages;
  }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

TEST_F(GaleGenTest, ProducesEveryTransactionToKafkaKeyedByAccount) {
  MockKafka kafka;
  kafka.create_topic("transactions", 3);
  auto r = gen({"transactions", "--count", "1500", "--accounts", "100", "--brokers",
                kafka.bootstrap(), "--topic", "transactions"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto messages = kafka.read("transactions", 3, 1500);
  ASSERT_EQ(messages.size(), 1500u);
  std::set<std::string> ids;
  for (const auto& [key, value] : messages) {
    auto t = parse_transaction(value);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(key, t->account);
    ids.insert(t->id);
  }
  EXPECT_EQ(ids.size(), 1500u);
  EXPECT_EQ(r.output.find("{\"id\""), std::string::npos) << "Kafka alone: nothing on stdout";
}

TEST_F(GaleGenTest, ProfilesGoToKafkaKeyedByCustomer) {
  MockKafka kafka;
  kafka.create_topic("profiles", 1);
  auto r = gen({"profiles", "--accounts", "40", "--brokers", kafka.bootstrap(), "--topic",
                "profiles", "--out", file("profiles.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto messages = kafka.read("profiles", 1, 40);
  ASSERT_EQ(messages.size(), 40u);
  EXPECT_EQ(messages[0].first, "cust-000001");
  EXPECT_EQ(read_lines(file("profiles.jsonl")).size(), 40u) << "--out as well as Kafka";
}

TEST_F(GaleGenTest, UnreachableBrokerFailsWithAClearMessage) {
  int port = gale::testing::free_port();
  std::string broker = "127.0.0.1:" + std::to_string(port);
  auto r = gen({"transactions", "--count", "10", "--brokers", broker, "--topic", "transactions"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("gale-gen: cannot reach Kafka at " + broker), std::string::npos)
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

// ---- Redis --------------------------------------------------------------------------------

// The hash sms-notify's profile lookup reads for a profile (its profile_of).
std::map<std::string, std::string> profile_hash(const CustomerProfile& p) {
  return {{"phone", p.phone},
          {"name", p.name},
          {"language", p.language},
          {"notify_threshold_minor", std::to_string(p.notify_threshold_minor)},
          {"opted_in", p.opted_in ? "true" : "false"}};
}

// Every customer:* hash in the server, by key.
std::map<std::string, std::map<std::string, std::string>> customer_hashes(int port) {
  redis::ConnectionOptions options;
  options.port = port;
  redis::RedisClient client(options);
  auto keys = client.command({"KEYS", "customer:*"});
  EXPECT_TRUE(keys) << keys.error().message;
  std::map<std::string, std::map<std::string, std::string>> hashes;
  if (!keys) return hashes;
  for (const redis::Reply& key : keys.value().elements) {
    auto hash = client.command({"HGETALL", key.str});
    EXPECT_TRUE(hash) << hash.error().message;
    if (hash) hashes[key.str] = redis::field_map(hash.value());
  }
  return hashes;
}

void expect_profiles_loaded(int port, const GeneratorOptions& options) {
  std::vector<CustomerProfile> profiles = customer_profiles(options);
  auto hashes = customer_hashes(port);
  ASSERT_EQ(hashes.size(), profiles.size());
  for (const CustomerProfile& p : profiles) {
    auto it = hashes.find("customer:" + p.customer);
    ASSERT_NE(it, hashes.end()) << p.customer;
    EXPECT_EQ(it->second, profile_hash(p)) << p.customer;
  }
}

TEST_F(GaleGenTest, LoadsProfilesIntoRedisAsSmsNotifyReadsThem) {
  gale::testing::RedisServer redis;
  std::string address = "127.0.0.1:" + std::to_string(redis.port());
  auto r = gen({"profiles", "--accounts", "50", "--seed", "3", "--redis", address});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "gale-gen: 50 profiles loaded into redis " + address + "\n")
      << "Redis alone: nothing on stdout, one summary line";
  expect_profiles_loaded(redis.port(), {.seed = 3, .accounts = 50});
}

TEST_F(GaleGenTest, RedisWithOutWritesBothAndReplacesEarlierProfiles) {
  gale::testing::RedisServer redis;
  std::string address = "127.0.0.1:" + std::to_string(redis.port());
  ASSERT_EQ(gen({"profiles", "--accounts", "30", "--seed", "3", "--redis", address}).exit_code, 0);
  auto r = gen({"profiles", "--accounts", "30", "--seed", "4", "--redis", address, "--out",
                file("profiles.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string summary = "30 profiles, 0 malformed lines, 0 expected alerts; 30 loaded into redis ";
  EXPECT_NE(r.output.find(summary + address), std::string::npos) << r.output;
  std::vector<std::string> expected;
  for (const CustomerProfile& p : customer_profiles({.seed = 4, .accounts = 30}))
    expected.push_back(to_json(p));
  EXPECT_EQ(read_lines(file("profiles.jsonl")), expected);
  expect_profiles_loaded(redis.port(), {.seed = 4, .accounts = 30});
}

TEST_F(GaleGenTest, UnreachableRedisFailsNamingTheAddress) {
  std::string address = "127.0.0.1:" + std::to_string(gale::testing::free_port());
  auto r = gen({"profiles", "--accounts", "10", "--redis", address});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("gale-gen: cannot load profiles into redis " + address),
            std::string::npos)
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

}  // namespace
}  // namespace gale::events
