// gale-sms-gateway-fake as a process: what it records and counts, its fault injection, its
// flags and its shutdown.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gale/testing/fake_gateway_process.h"

namespace gale::testing {
namespace {

using json = nlohmann::json;

HttpReply post_sms(const FakeGatewayProcess& gateway, const std::string& to,
                   const std::string& reference, const std::string& text = "hello") {
  return http_request(gateway.port(), "POST", "/sms",
                      json{{"to", to}, {"text", text}, {"reference", reference}}.dump(),
                      {{"Idempotency-Key", reference}});
}

json get_json(const FakeGatewayProcess& gateway, const std::string& target) {
  HttpReply r = gateway.get(target);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  return json::parse(r.body);
}

TEST(FakeGatewayTest, RecordsEveryAcceptedMessageDuplicatesIncluded) {
  std::string record = "/tmp/gale-sms-record-" + std::to_string(getpid()) + ".jsonl";
  unlink(record.c_str());
  FakeGatewayProcess gateway({"--record", record});
  HttpReply first = post_sms(gateway, "+31612345678", "ref-1", "Your balance changed");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(json::parse(first.body), (json{{"id", "msg-1"}}));
  EXPECT_EQ(post_sms(gateway, "+31612345678", "ref-1", "Your balance changed").status, 200);
  EXPECT_EQ(post_sms(gateway, "+4915112345678", "ref-2").status, 200);

  json stats = get_json(gateway, "/stats");
  EXPECT_EQ(stats["received"], 3);
  EXPECT_EQ(stats["distinct_references"], 2);
  EXPECT_EQ(stats["failed"], 0);
  json messages = get_json(gateway, "/messages");
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["id"], "msg-1");
  EXPECT_EQ(messages[0]["to"], "+31612345678");
  EXPECT_EQ(messages[0]["text"], "Your balance changed");
  EXPECT_EQ(messages[0]["reference"], "ref-1");
  EXPECT_EQ(messages[0]["idempotency_key"], "ref-1");
  EXPECT_EQ(messages[1]["reference"], "ref-1");
  EXPECT_EQ(messages[2]["id"], "msg-3");

  std::ifstream in(record);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  unlink(record.c_str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["reference"], "ref-2");
  EXPECT_GT(lines[0]["received_ms"].get<std::int64_t>(), 1'600'000'000'000);
}

TEST(FakeGatewayTest, FailFirstAnswers503ThenAccepts) {
  FakeGatewayProcess gateway({"--fail-first", "2"});
  EXPECT_EQ(post_sms(gateway, "+31612345678", "r").status, 503);
  EXPECT_EQ(gateway.get("/health").status, 200) << "GET requests must not use up the failures";
  EXPECT_EQ(post_sms(gateway, "+31612345678", "r").status, 503);
  EXPECT_EQ(post_sms(gateway, "+31612345678", "r").status, 200);
  json stats = get_json(gateway, "/stats");
  EXPECT_EQ(stats["failed"], 2);
  EXPECT_EQ(stats["received"], 1);
}

TEST(FakeGatewayTest, FailRateIsRepeatableForASeed) {
  auto statuses = [](const std::string& seed) {
    FakeGatewayProcess gateway({"--fail-rate", "0.5", "--seed", seed});
    std::vector<int> out;
    for (int i = 0; i < 40; ++i)
      out.push_back(post_sms(gateway, "+31612345678", "r" + std::to_string(i)).status);
    return out;
  };
  std::vector<int> a = statuses("7");
  EXPECT_EQ(a, statuses("7"));
  EXPECT_NE(a, statuses("8"));
  EXPECT_EQ(std::count(a.begin(), a.end(), 503) + std::count(a.begin(), a.end(), 200), 40);
  EXPECT_GT(std::count(a.begin(), a.end(), 503), 5);
  EXPECT_GT(std::count(a.begin(), a.end(), 200), 5);
}

TEST(FakeGatewayTest, DelayHoldsEachSmsAnswer) {
  FakeGatewayProcess gateway({"--delay-ms", "300"});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(post_sms(gateway, "+31612345678", "r").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST(FakeGatewayTest, MalformedMessagesAre400AndNotRecorded) {
  FakeGatewayProcess gateway;
  auto post = [&](const std::string& body) {
    return http_request(gateway.port(), "POST", "/sms", body);
  };
  HttpReply not_json = post("{to:");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find("not a JSON object"), std::string::npos) << not_json.body;
  HttpReply no_reference = post(json{{"to", "+31612345678"}, {"text", "t"}}.dump());
  EXPECT_EQ(no_reference.status, 400);
  EXPECT_NE(no_reference.body.find("reference"), std::string::npos) << no_reference.body;
  HttpReply bad_number = post(json{{"to", "0612"}, {"text", "t"}, {"reference", "r"}}.dump());
  EXPECT_EQ(bad_number.status, 400);
  EXPECT_NE(bad_number.body.find("E.164"), std::string::npos) << bad_number.body;
  json stats = get_json(gateway, "/stats");
  EXPECT_EQ(stats["received"], 0);
  EXPECT_EQ(stats["rejected"], 3);
}

TEST(FakeGatewayTest, UnknownResourcesAndWrongMethodsAreRefused) {
  FakeGatewayProcess gateway;
  EXPECT_EQ(gateway.get("/health").status, 200);
  EXPECT_EQ(gateway.get("/nothing").status, 404);
  EXPECT_EQ(gateway.get("/sms").status, 405);
  EXPECT_EQ(http_request(gateway.port(), "POST", "/stats").status, 405);
}

TEST(FakeGatewayTest, BadFlagsAreAOneLineErrorAndANonZeroExit) {
  for (const std::vector<std::string>& flags :
       std::vector<std::vector<std::string>>{{"--port", "70000"},
                                             {"--fail-rate", "1.5"},
                                             {"--delay-ms", "-1"},
                                             {"--fail-first", "many"},
                                             {"--no-such-flag"},
                                             {"--record", "/nonexistent-dir/record.jsonl"}}) {
    CommandResult r = run_fake_gateway(flags);
    EXPECT_NE(r.exit_code, 0) << flags[0];
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_EQ(r.output.rfind("gale-sms-gateway-fake: ", 0), 0u) << r.output;
    std::string named = flags[0] == "--record" ? "/nonexistent-dir/record.jsonl" : flags[0];
    EXPECT_NE(r.output.find(named), std::string::npos)
        << "does not name " << named << ": " << r.output;
  }
}

TEST(FakeGatewayTest, SigtermStopsItCleanly) {
  FakeGatewayProcess gateway;
  EXPECT_EQ(post_sms(gateway, "+31612345678", "r").status, 200);
  auto start = std::chrono::steady_clock::now();
  gateway.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5))
      << "SIGTERM was ignored";
  std::string out = gateway.output();
  EXPECT_EQ(out.substr(out.size() - 8), "stopped\n") << out;
}

}  // namespace
}  // namespace gale::testing
