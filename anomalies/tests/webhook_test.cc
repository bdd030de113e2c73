// The webhook against a real HTTP server on loopback (Nimbus's own, plain HTTP).
#include "gale/anomalies/webhook.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "gale/nimbus/http_server.h"
#include "gale/testing/tls_files.h"

namespace gale::anomalies {
namespace {

using ::testing::HasSubstr;

struct Receiver {
  boost::asio::io_context io;
  std::mutex mu;
  std::vector<nimbus::HttpRequest> got;
  int status = 200;
  nimbus::HttpServer server;
  std::thread thread;
  explicit Receiver(std::shared_ptr<boost::asio::ssl::context> tls = nullptr)
      : server(
            io,
            [this](const nimbus::HttpRequest& r) {
              std::lock_guard lock(mu);
              got.push_back(r);
              return nimbus::HttpResponse{status, "application/json", "{}"};
            },
            1 << 20, std::move(tls)) {
    EXPECT_TRUE(server.start("127.0.0.1", 0));
    thread = std::thread([this] { io.run(); });
  }
  ~Receiver() {
    io.stop();
    thread.join();
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return got.size();
  }
};

bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 200; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(WebhookTest, RaisedAndClearedAnomaliesArePostedAsJson) {
  Receiver receiver;
  auto hook = Webhook::start(
      "http://127.0.0.1:" + std::to_string(receiver.server.port()) + "/hooks/gale", "", "");
  ASSERT_TRUE(hook) << hook.error().message;
  Anomaly a;
  a.id = 3;
  a.rule = "worker_restarted";
  a.topology = "risk";
  a.raised_secs = 100;
  (*hook)->send("raised", a);
  a.cleared_secs = 400;
  (*hook)->send("cleared", a);
  ASSERT_TRUE(eventually([&] { return (*hook)->delivered() == 2; }));
  std::lock_guard lock(receiver.mu);
  ASSERT_EQ(receiver.got.size(), 2u);
  EXPECT_EQ(receiver.got[0].method, "POST");
  EXPECT_EQ(receiver.got[0].target, "/hooks/gale");
  EXPECT_EQ(receiver.got[0].authorization, "");
  auto first = nlohmann::json::parse(receiver.got[0].body);
  EXPECT_EQ(first["event"], "raised");
  EXPECT_EQ(first["anomaly"]["rule"], "worker_restarted");
  EXPECT_TRUE(first["anomaly"]["cleared_secs"].is_null());
  EXPECT_EQ(nlohmann::json::parse(receiver.got[1].body)["anomaly"]["cleared_secs"], 400);
}

TEST(WebhookTest, OverHttpsTheReceiverIsVerifiedAndGetsTheToken) {
  auto dir = std::filesystem::path(::testing::TempDir()) / "webhook-tls";
  auto tls = gale::testing::make_tls_files(dir);
  auto context = nimbus::HttpServer::tls_context(tls.cert.string(), tls.key.string());
  ASSERT_TRUE(context) << context.error().message;
  Receiver receiver(*context);
  std::string url = "https://127.0.0.1:" + std::to_string(receiver.server.port()) + "/h";
  auto hook = Webhook::start(url, tls.ca, "s3cret");
  ASSERT_TRUE(hook) << hook.error().message;
  (*hook)->send("raised", Anomaly{});
  ASSERT_TRUE(eventually([&] { return (*hook)->delivered() == 1; }));
  {
    std::lock_guard lock(receiver.mu);
    EXPECT_EQ(receiver.got.at(0).authorization, "Bearer s3cret");
  }
  // A receiver whose certificate the CA did not sign gets nothing.
  auto other = gale::testing::make_tls_files(dir / "other");
  auto stranger = Webhook::start(url, other.ca, "s3cret");
  ASSERT_TRUE(stranger);
  (*stranger)->send("raised", Anomaly{});
  ASSERT_TRUE(eventually([&] { return (*stranger)->dropped() == 1; }));
  EXPECT_EQ(receiver.count(), 1u);
  std::filesystem::remove_all(dir);
}

TEST(WebhookTest, AReceiverThatRefusesIsTriedThriceThenTheAnomalyIsDropped) {
  Receiver receiver;
  receiver.status = 500;
  auto hook = Webhook::start("http://127.0.0.1:" + std::to_string(receiver.server.port()), "", "");
  ASSERT_TRUE(hook);
  (*hook)->send("raised", Anomaly{});
  ASSERT_TRUE(eventually([&] { return (*hook)->dropped() == 1; }));
  EXPECT_EQ(receiver.count(), 3u);
  EXPECT_EQ((*hook)->delivered(), 0u);
}

TEST(WebhookTest, ABadUrlIsNamed) {
  EXPECT_THAT(Webhook::start("ftp://x", "", "").error().message, HasSubstr("http:// or https://"));
  EXPECT_THAT(Webhook::start("http://h:99999/", "", "").error().message, HasSubstr("port"));
  EXPECT_THAT(Webhook::start("https://h/", "", "").error().message,
              HasSubstr("nimbus.anomaly.webhook.ca.file"));
  EXPECT_THAT(Webhook::start("http://:80/", "", "").error().message, HasSubstr("no host"));
  EXPECT_THAT(Webhook::start("http://h/", "", "t").error().message, HasSubstr("only over https"));
}

}  // namespace
}  // namespace gale::anomalies
