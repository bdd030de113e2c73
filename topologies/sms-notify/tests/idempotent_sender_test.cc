// IdempotentSender against a real redis-server and the real fake gateway process: one SMS per
// event however often it is sent; a gateway failure releases the claim so a retry sends; an
// attempt meeting another's live claim backs off; a dead attempt's claim expires.
#include "gale/notify/idempotent_sender.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "gale/testing/fake_gateway_process.h"
#include "gale/testing/redis_server.h"

namespace gale::notify {
namespace {

using namespace std::chrono_literals;

// The fake gateway's own account of what it received.
nlohmann::json stats(const testing::FakeGatewayProcess& gateway) {
  return nlohmann::json::parse(gateway.get("/stats").body);
}

struct SenderTest : ::testing::Test {
  testing::RedisServer redis_server;
  redis::RedisClient redis{[&] {
    redis::ConnectionOptions o;
    o.port = redis_server.port();
    return o;
  }()};

  sms::SmsMessage message(const std::string& event) { return {"+31612340001", "hello", event}; }
};

TEST_F(SenderTest, AnEventIsSentOnceHoweverOftenItComes) {
  testing::FakeGatewayProcess gateway;
  sms::SmsGatewayClient client({gateway.url(), 1000ms, 2000ms});
  IdempotentSender sender(redis, client, {});
  auto first = sender.send("chg-1", message("chg-1"));
  EXPECT_EQ(first.kind, SendOutcome::Kind::sent) << first.error;
  EXPECT_FALSE(first.message_id.empty());
  for (int replay = 0; replay < 3; ++replay)
    EXPECT_EQ(sender.send("chg-1", message("chg-1")).kind, SendOutcome::Kind::duplicate);
  // Another executor (another sender, another token) sees the same.
  sms::SmsGatewayClient other_client({gateway.url(), 1000ms, 2000ms});
  IdempotentSender other(redis, other_client, {});
  EXPECT_EQ(other.send("chg-1", message("chg-1")).kind, SendOutcome::Kind::duplicate);
  EXPECT_EQ(other.send("chg-2", message("chg-2")).kind, SendOutcome::Kind::sent);
  auto seen = stats(gateway);
  EXPECT_EQ(seen["received"], 2);
  EXPECT_EQ(seen["distinct_references"], 2);
}

TEST_F(SenderTest, AGatewayFailureReleasesTheClaimAndTheRetrySends) {
  testing::FakeGatewayProcess gateway({"--fail-first", "1"});
  sms::SmsGatewayClient client({gateway.url(), 1000ms, 2000ms});
  IdempotentSender sender(redis, client, {});
  auto failed = sender.send("chg-1", message("chg-1"));
  EXPECT_EQ(failed.kind, SendOutcome::Kind::gateway_error);
  EXPECT_TRUE(failed.retryable);
  EXPECT_NE(failed.error.find("503"), std::string::npos) << failed.error;
  auto retried = sender.send("chg-1", message("chg-1"));
  EXPECT_EQ(retried.kind, SendOutcome::Kind::sent) << retried.error;
  EXPECT_EQ(stats(gateway)["distinct_references"], 1);
}

TEST_F(SenderTest, ALiveClaimMakesOthersWaitAndADeadOnesClaimExpires) {
  testing::FakeGatewayProcess gateway;
  sms::SmsGatewayClient client({gateway.url(), 1000ms, 2000ms});
  // An attempt that claimed and died before sending: its claim, with a short lease.
  ASSERT_TRUE(redis.command({"SET", "sms:chg-9", "pending:dead-1", "NX", "PX", "300"}));
  IdempotentSender sender(redis, client, {});
  EXPECT_EQ(sender.send("chg-9", message("chg-9")).kind, SendOutcome::Kind::in_flight);
  EXPECT_EQ(stats(gateway)["received"], 0);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  SendOutcome outcome;
  do {
    std::this_thread::sleep_for(50ms);
    outcome = sender.send("chg-9", message("chg-9"));
  } while (outcome.kind == SendOutcome::Kind::in_flight &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::sent) << outcome.error;
  EXPECT_EQ(stats(gateway)["received"], 1);
}

TEST_F(SenderTest, RedisDownIsARetryableErrorAndNothingIsSent) {
  testing::FakeGatewayProcess gateway;
  sms::SmsGatewayClient client({gateway.url(), 1000ms, 2000ms});
  IdempotentSender sender(redis, client, {});
  redis_server.stop();
  auto outcome = sender.send("chg-1", message("chg-1"));
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::redis_error);
  EXPECT_EQ(stats(gateway)["received"], 0) << "no SMS without a claim";
  redis_server.restart();
  // The client reconnects after its backoff; until then attempts fail, and send nothing.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (outcome.kind == SendOutcome::Kind::redis_error &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    outcome = sender.send("chg-1", message("chg-1"));
  }
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::sent) << outcome.error;
  EXPECT_EQ(stats(gateway)["received"], 1);
}

}  // namespace
}  // namespace gale::notify
