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
using sms::SendReceipt;
using sms::SmsErrc;

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
  Result<SendReceipt> r = client.send(kMessage);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->message_id, "msg-1");

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
  Result<SendReceipt> failed = client.send(kMessage);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.code(), SmsErrc::server_error);
  EXPECT_EQ(sms::http_status(failed.error()), 503);
  EXPECT_NE(failed.error().message.find("HTTP 503 Service Unavailable"), std::string::npos)
      << failed.error().message;
  EXPECT_NE(failed.error().message.find(gateway.url()), std::string::npos)
      << failed.error().message;
  EXPECT_TRUE(sms::retryable(failed.error()));
  Result<SendReceipt> again = client.send(kMessage);
  EXPECT_TRUE(again) << again.error().message;
}

TEST(SmsGatewayClientTest, Http4xxIsRejectedAndNotRetryable) {
  FakeGatewayProcess gateway;
  sms::SmsGatewayClient client(options_for(gateway.url()));
  Result<SendReceipt> r = client.send({"0612", "text", "evt-1"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), SmsErrc::rejected);
  EXPECT_EQ(sms::http_status(r.error()), 400);
  EXPECT_NE(r.error().message.find("HTTP 400"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("E.164"), std::string::npos)
      << "the gateway's reason is not passed on: " << r.error().message;
  EXPECT_FALSE(sms::retryable(r.error()));
}

TEST(SmsErrcTest, TheCategoryIsGaleSmsAnd429IsTheOneRetryableRejection) {
  EXPECT_STREQ(sms::sms_category().name(), "gale.sms");
  EXPECT_EQ(make_error_code(SmsErrc::server_error).message(), "server_error");
  auto answered = [](SmsErrc code, const std::string& status) {
    return make_error(code, "sms gateway http://127.0.0.1:8080/sms: HTTP " + status);
  };
  Error slow_down = answered(SmsErrc::rejected, "429 Too Many Requests: try later");
  EXPECT_EQ(sms::http_status(slow_down), 429);
  EXPECT_TRUE(sms::retryable(slow_down));
  EXPECT_FALSE(sms::retryable(answered(SmsErrc::rejected, "404 Not Found")));
  EXPECT_TRUE(sms::retryable(answered(SmsErrc::server_error, "502 Bad Gateway")));
  Error timeout = make_error(SmsErrc::timeout, "sms gateway http://h/sms: no response within 5 ms");
  EXPECT_EQ(sms::http_status(timeout), 0);
  EXPECT_FALSE(sms::retryable(make_error(SmsErrc::bad_response, "not an HTTP response")));
  EXPECT_FALSE(sms::retryable(Error{std::make_error_code(std::errc::timed_out), "not the sms's"}));
}

TEST(SmsGatewayClientTest, SlowerThanTheTimeoutIsATimeoutWithinTheDeadline) {
  FakeGatewayProcess gateway({"--delay-ms", "5000"});
  auto options = options_for(gateway.url());
  options.request_timeout = 300ms;
  sms::SmsGatewayClient client(options);
  auto start = std::chrono::steady_clock::now();
  Result<SendReceipt> r = client.send(kMessage);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), SmsErrc::timeout) << r.error().message;
  EXPECT_NE(r.error().message.find("no response within 300 ms"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(sms::retryable(r.error()));
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1500ms);
}

TEST(SmsGatewayClientTest, NothingListeningIsConnectionRefused) {
  std::string url = "http://127.0.0.1:" + std::to_string(free_port()) + "/sms";
  sms::SmsGatewayClient client(options_for(url));
  Result<SendReceipt> r = client.send(kMessage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), SmsErrc::connection_refused);
  EXPECT_EQ(r.error().message, "sms gateway " + url + ": connection refused");
  EXPECT_TRUE(sms::retryable(r.error()));
}

TEST(SmsGatewayClientTest, KeepAliveConnectionIsReusedAndSurvivesAGatewayRestart) {
  FakeGatewayProcess gateway;
  sms::SmsGatewayClient client(options_for(gateway.url()));
  for (const char* ref : {"a", "b", "c"}) {
    Result<SendReceipt> r = client.send({kMessage.to, "text", ref});
    ASSERT_TRUE(r) << r.error().message;
  }
  // The client's one connection, and the one of this GET.
  EXPECT_EQ(get_json(gateway, "/stats")["connections"], 2) << "the connection was not kept alive";

  gateway.restart();  // the kept connection is now closed by the old process
  Result<SendReceipt> r = client.send({kMessage.to, "text", "d"});
  ASSERT_TRUE(r) << r.error().message;
  json stats = get_json(gateway, "/stats");
  EXPECT_EQ(stats["received"], 1) << "the message after the restart was lost or sent twice";
  EXPECT_EQ(get_json(gateway, "/messages")[0]["reference"], "d");
}

TEST(SmsGatewayClientTest, AMessageWithoutRecipientOrReferenceIsNotSent) {
  FakeGatewayProcess gateway;
  sms::SmsGatewayClient client(options_for(gateway.url()));
  Result<SendReceipt> no_reference = client.send({kMessage.to, "text", ""});
  EXPECT_EQ(no_reference.code(), SmsErrc::invalid_message);
  EXPECT_NE(no_reference.error().message.find("no reference"), std::string::npos)
      << no_reference.error().message;
  Result<SendReceipt> no_recipient = client.send({"", "text", "evt-1"});
  EXPECT_EQ(no_recipient.code(), SmsErrc::invalid_message);
  Result<SendReceipt> not_utf8 = client.send({kMessage.to, "\xff\xfe", "evt-1"});
  EXPECT_EQ(not_utf8.code(), SmsErrc::invalid_message);
  EXPECT_NE(not_utf8.error().message.find("UTF-8"), std::string::npos) << not_utf8.error().message;
  json stats = get_json(gateway, "/stats");
  EXPECT_EQ(stats["received"], 0);
  EXPECT_EQ(stats["rejected"], 0) << "an invalid message reached the gateway";
  EXPECT_EQ(stats["connections"], 1) << "the client connected (the one is this GET's)";
}

}  // namespace
}  // namespace gale::testing
