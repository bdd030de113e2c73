// SmsGatewayClient against the real gale-sms-gateway-fake process.
#include "gale/sms/gateway_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "gale/testing/fake_gateway_process.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using sms::SendResult;
using Status = sms::SendResult::Status;

sms::GatewayOptions options_for(const std::string& url) {
  sms::GatewayOptions o;
  o.url = url;
  o.connect_timeout = 1s;
  o.request_timeout = 2s;
  return o;
}

json get_json(const FakeGatewayProcess& gateway, const std::string& target) {
  HttpReply r = gateway.get(target);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  return json::parse(r.body);
}

const sms::SmsMessage kMessage{"+31612345678", "Saldo gewijzigd: € 12,50 afgeschreven", "evt-42"};

TEST(SmsGatewayClientTest, SendSucceedsAndIsRecordedWithItsReference) {
  FakeGatewayProcess gateway;
  sms::SmsGatewayClient client(options_for(gateway.url()));
  SendResult r = client.send(kMessage);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.message_id, "msg-1");

  json messages = get_json(gateway, "/messages");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["to"], kMessage.to);
  EXPECT_EQ(messages[0]["text"], kMessage.text);
  EXPECT_EQ(messages[0]["reference"], "evt-42");
  EXPECT_EQ(messages[0]["idempotency_key"], "evt-42");
}

TEST(SmsGatewayClientTest, Http503IsARetryableErrorNamingTheStatus) {
  FakeGatewayProcess gateway({"--fail-first", "1"});
  sms::SmsGatewayClient client(options_for(gateway.url()));
  SendResult failed = client.send(kMessage);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.status, Status::server_error);
  EXPECT_EQ(failed.http_status, 503);
  EXPECT_NE(failed.error.find("HTTP 503 Service Unavailable"), std::string::npos) << failed.error;
  EXPECT_NE(failed.error.find(gateway.url()), std::string::npos) << failed.error;
  EXPECT_TRUE(failed.retryable());
  SendResult again = client.send(kMessage);
  EXPECT_TRUE(again) << again.error;
}

TEST(SmsGatewayClientTest, Http4xxIsRejectedAndNotRetryable) {
  FakeGatewayProcess gateway;
  sms::SmsGatewayClient client(options_for(gateway.url()));
  SendResult r = client.send({"0612", "text", "evt-1"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status, Status::rejected);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_NE(r.error.find("HTTP 400"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("E.164"), std::string::npos)
      << "the gateway's reason is not passed on: " << r.error;
  EXPECT_FALSE(r.retryable());
}

TEST(SmsGatewayClientTest, SlowerThanTheTimeoutIsATimeoutWithinTheDeadline) {
  FakeGatewayProcess gateway({"--delay-ms", "5000"});
  auto options = options_for(gateway.url());
  options.request_timeout = 300ms;
  sms::SmsGatewayClient client(options);
  auto start = std::chrono::steady_clock::now();
  SendResult r = client.send(kMessage);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status, Status::timeout) << r.error;
  EXPECT_NE(r.error.find("no response within 300 ms"), std::string::npos) << r.error;
  EXPECT_TRUE(r.retryable());
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1500ms);
}

TEST(SmsGatewayClientTest, NothingListeningIsConnectionRefused) {
  std::string url = "http://127.0.0.1:" + std::to_string(free_port()) + "/sms";
  sms::SmsGatewayClient client(options_for(url));
  SendResult r = client.send(kMessage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status, Status::connection_refused);
  EXPECT_EQ(r.error, "sms gateway " + url + ": connection refused");
  EXPECT_TRUE(r.retryable());
}

TEST(SmsGatewayClientTest, KeepAliveConnectionIsReusedAndSurvivesAGatewayRestart) {
  FakeGatewayProcess gateway;
  sms::SmsGatewayClient client(options_for(gateway.url()));
  for (const char* ref : {"a", "b", "c"}) {
    SendResult r = client.send({kMessage.to, "text", ref});
    ASSERT_TRUE(r) << r.error;
  }
  // The client's one connection, and the one of this GET.
  EXPECT_EQ(get_json(gateway, "/stats")["connections"], 2) << "the connection was not kept alive";

  gateway.restart();  // the kept connection is now closed by the old process
  SendResult r = client.send({kMessage.to, "text", "d"});
  ASSERT_TRUE(r) << r.error;
  json stats = get_json(gateway, "/stats");
  EXPECT_EQ(stats["received"], 1) << "the message after the restart was lost or sent twice";
  EXPECT_EQ(get_json(gateway, "/messages")[0]["reference"], "d");
}

TEST(SmsGatewayClientTest, AMessageWithoutRecipientOrReferenceIsNotSent) {
  FakeGatewayProcess gateway;
  sms::SmsGatewayClient client(options_for(gateway.url()));
  SendResult no_reference = client.send({kMessage.to, "text", ""});
  EXPECT_EQ(no_reference.status, Status::invalid_message);
  EXPECT_NE(no_reference.error.find("no reference"), std::string::npos) << no_reference.error;
  SendResult no_recipient = client.send({"", "text", "evt-1"});
  EXPECT_EQ(no_recipient.status, Status::invalid_message);
  SendResult not_utf8 = client.send({kMessage.to, "\xff\xfe", "evt-1"});
  EXPECT_EQ(not_utf8.status, Status::invalid_message);
  EXPECT_NE(not_utf8.error.find("UTF-8"), std::string::npos) << not_utf8.error;
  json stats = get_json(gateway, "/stats");
  EXPECT_EQ(stats["received"], 0);
  EXPECT_EQ(stats["rejected"], 0) << "an invalid message reached the gateway";
  EXPECT_EQ(stats["connections"], 1) << "the client connected (the one is this GET's)";
}

}  // namespace
}  // namespace gale::testing
