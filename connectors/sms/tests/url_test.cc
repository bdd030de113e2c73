// The gateway URL: the forms accepted and each refusal named. And the sms.gateway.* keys.
#include "url.h"

#include <gtest/gtest.h>

#include "gale/sms/gateway_client.h"

namespace gale::sms {
namespace {

TEST(GatewayUrlTest, AcceptsHttpUrlsWithOrWithoutPortAndPath) {
  Url u = parse_url("http://127.0.0.1:8080/sms");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.target, "/sms");
  EXPECT_EQ(u.host_header, "127.0.0.1:8080");
  Url plain = parse_url("http://gateway.internal");
  EXPECT_EQ(plain.port, "80");
  EXPECT_EQ(plain.target, "/");
  Url query = parse_url("http://gw?account=7");
  EXPECT_EQ(query.host, "gw");
  EXPECT_EQ(query.target, "/?account=7");
  Url v6 = parse_url("http://[::1]:9000/v1/sms#frag");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, "9000");
  EXPECT_EQ(v6.target, "/v1/sms");
}

std::string refusal(const char* url) {
  try {
    parse_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(GatewayUrlTest, RefusalsNameTheUrlAndTheProblem) {
  EXPECT_EQ(refusal("https://gw/sms"),
            "sms gateway URL \"https://gw/sms\": https is not supported, only http://");
  EXPECT_EQ(refusal("gw:80/sms"),
            "sms gateway URL \"gw:80/sms\": expected http://host[:port][/path]");
  EXPECT_EQ(refusal("http:///sms"), "sms gateway URL \"http:///sms\": no host");
  EXPECT_EQ(refusal("http://gw:0/sms"),
            "sms gateway URL \"http://gw:0/sms\": port \"0\" is not a number in [1, 65535]");
  EXPECT_EQ(refusal("http://gw:80x/"),
            "sms gateway URL \"http://gw:80x/\": port \"80x\" is not a number in [1, 65535]");
  EXPECT_EQ(refusal("http://user:pw@gw/"),
            "sms gateway URL \"http://user:pw@gw/\": user info is not supported");
  EXPECT_THROW(SmsGatewayClient(GatewayOptions{"ftp://gw"}), std::invalid_argument);
}

TEST(GatewayOptionsTest, ReadsKeysWithDefaultsAndNamesBadOnes) {
  Config config;
  ASSERT_TRUE(config.set(conf::kGatewayUrl, "http://127.0.0.1:9/sms"));
  GatewayOptions o = GatewayOptions::from_config(config);
  EXPECT_EQ(o.url, "http://127.0.0.1:9/sms");
  EXPECT_EQ(o.connect_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(o.request_timeout, std::chrono::milliseconds(5000));

  auto refusal_of = [](const Config& c) {
    try {
      GatewayOptions::from_config(c);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refusal_of(Config()),
            "sms.gateway.url is not set: expected the gateway's http://host:port/path");
  Config https = config;
  ASSERT_TRUE(https.set(conf::kGatewayUrl, "https://gw/sms"));
  EXPECT_EQ(
      refusal_of(https),
      "sms.gateway.url: sms gateway URL \"https://gw/sms\": https is not supported, only http://");
  Config slow = config;
  ASSERT_TRUE(slow.set(conf::kRequestTimeoutMs, "0"));
  EXPECT_EQ(refusal_of(slow),
            "sms.gateway.timeout.ms: expected an integer in [1, 600000] (ms), got 0");
  Config words = config;
  ASSERT_TRUE(words.set(conf::kConnectTimeoutMs, "fast"));
  EXPECT_EQ(
      refusal_of(words),
      "sms.gateway.connect.timeout.ms: expected an integer in [1, 600000] (ms), got \"fast\"");
}

}  // namespace
}  // namespace gale::sms
