// RedisClient against a real redis-server: pipelining, binary safety, errors as values,
// timeouts, reconnect with backoff.
#include "gale/redis/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gale/testing/redis_server.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using redis::Command;
using redis::RedisClient;
using redis::RedisErrc;
using redis::Reply;

redis::ConnectionOptions options_for(const RedisServer& server) {
  redis::ConnectionOptions o;
  o.port = server.port();
  o.timeout = 2s;
  return o;
}

// Retries `command` until it gets a reply or `limit` passes (reconnect backoff in between).
Result<Reply> until_reply(RedisClient& client, const Command& command,
                          std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    Result<Reply> r = client.command(command);
    if (r || std::chrono::steady_clock::now() > deadline) return r;
    std::this_thread::sleep_for(5ms);
  }
}

TEST(RedisClientTest, PipelineOf10000CommandsReturnsRepliesInCommandOrder) {
  RedisServer server;
  RedisClient client(options_for(server));
  std::vector<Command> sets, incrs, gets;
  for (int i = 0; i < 10000; ++i) {
    sets.push_back({"SET", "key:" + std::to_string(i), "value:" + std::to_string(i)});
    incrs.push_back({"INCRBY", "sum", std::to_string(i)});
    gets.push_back({"GET", "key:" + std::to_string(i)});
  }
  auto set_replies = client.pipeline(sets);
  ASSERT_TRUE(set_replies) << set_replies.error().message;
  ASSERT_EQ(set_replies.value().size(), 10000u);
  for (const Reply& r : set_replies.value()) ASSERT_EQ(r.to_string(), "OK");

  auto incr_replies = client.pipeline(incrs);
  ASSERT_TRUE(incr_replies) << incr_replies.error().message;
  std::int64_t sum = 0;
  for (int i = 0; i < 10000; ++i) {
    sum += i;
    ASSERT_EQ(incr_replies.value()[i].integer, sum) << "reply " << i << " out of order";
  }
  auto get_replies = client.pipeline(gets);
  ASSERT_TRUE(get_replies) << get_replies.error().message;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(get_replies.value()[i].str, "value:" + std::to_string(i)) << "reply " << i;
  }
}

TEST(RedisClientTest, KeysAndValuesAreBinarySafe) {
  RedisServer server;
  RedisClient client(options_for(server));
  const std::string key("k\0\r\n%s", 6);
  std::string value;
  for (int b = 0; b < 256; ++b) value.push_back(static_cast<char>(b));
  value += std::string("\0\0%d\r\n$3\r\n", 10);

  ASSERT_TRUE(client.command({"SET", key, value}));
  auto got = client.command({"GET", key});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got.value().type, Reply::Type::string);
  EXPECT_EQ(got.value().str, value);

  ASSERT_TRUE(client.command({"HSET", "h", key, redis::to_arg(Value(Bytes{0, 255, 13, 10}))}));
  auto hash = client.command({"HGETALL", "h"});
  ASSERT_TRUE(hash);
  EXPECT_EQ(redis::field_map(hash.value()),
            (std::map<std::string, std::string>{{key, "\0\xff\r\n"s}}));
}

TEST(RedisClientTest, ErrorRepliesAreRepliesAndTheConnectionStaysUsable) {
  RedisServer server;
  RedisClient client(options_for(server));
  ASSERT_TRUE(client.command({"SET", "text", "x"}));
  auto replies = client.pipeline(std::vector<Command>{
      {"INCR", "n"}, {"LPUSH", "text", "y"}, {"NOSUCHCOMMAND"}, {"INCR", "n"}});
  ASSERT_TRUE(replies) << replies.error().message;
  const auto& r = replies.value();
  EXPECT_EQ(r[0].integer, 1);
  EXPECT_TRUE(r[1].is_error());
  EXPECT_EQ(r[1].str.rfind("WRONGTYPE", 0), 0u) << r[1].str;
  EXPECT_TRUE(r[2].is_error());
  EXPECT_NE(r[2].str.find("unknown command"), std::string::npos) << r[2].str;
  EXPECT_EQ(r[3].integer, 2) << "the command after the errors did not run";
  EXPECT_TRUE(client.connected());
  auto nil = client.command({"GET", "missing"});
  ASSERT_TRUE(nil);
  EXPECT_TRUE(nil.value().is_nil());
}

TEST(RedisClientTest, EmptyCommandIsRefusedWithoutSendingTheBatch) {
  RedisServer server;
  RedisClient client(options_for(server));
  auto r = client.pipeline(std::vector<Command>{{"SET", "a", "1"}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), RedisErrc::invalid_command);
  EXPECT_NE(r.error().message.find("command 1 of 2 is empty"), std::string::npos)
      << r.error().message;
  auto a = client.command({"EXISTS", "a"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a.value().integer, 0) << "part of a refused batch was sent";
}

TEST(RedisClientTest, NoReplyWithinTheTimeoutIsATimeoutErrorThenTheClientReconnects) {
  RedisServer server;
  auto options = options_for(server);
  options.timeout = 200ms;
  RedisClient client(options);
  auto start = std::chrono::steady_clock::now();
  auto r = client.command({"BLPOP", "empty-list", "5"});  // Redis answers after 5 s
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), RedisErrc::timeout) << r.error().message;
  EXPECT_NE(r.error().message.find("no reply within 200 ms"), std::string::npos)
      << r.error().message;
  EXPECT_LT(took, 2s);
  EXPECT_FALSE(client.connected()) << "a connection with a reply still due must not be reused";
  auto pong = client.command({"PING"});
  ASSERT_TRUE(pong) << pong.error().message;
  EXPECT_EQ(pong.value().str, "PONG");
}

TEST(RedisClientTest, ReconnectsAfterARestartAndReportsTheOutageMeanwhile) {
  RedisServer server;
  RedisClient client(options_for(server));
  ASSERT_TRUE(client.command({"SET", "before", "1"}));

  server.stop();
  auto lost = client.command({"GET", "before"});
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.code(), RedisErrc::io) << lost.error().message;
  EXPECT_NE(lost.error().message.find(std::to_string(server.port())), std::string::npos)
      << "the error does not name the server: " << lost.error().message;
  auto refused = client.command({"GET", "before"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.code(), RedisErrc::connect) << refused.error().message;
  EXPECT_NE(refused.error().message.find("refused"), std::string::npos) << refused.error().message;
  auto waiting = client.command({"GET", "before"});
  ASSERT_FALSE(waiting);
  EXPECT_EQ(waiting.code(), RedisErrc::backoff)
      << "a second attempt right after a refused connect must wait: " << waiting.error().message;

  server.restart();
  auto back = until_reply(client, {"SET", "after", "2"});
  ASSERT_TRUE(back) << back.error().message;
  auto after = client.command({"GET", "after"});
  ASSERT_TRUE(after);
  EXPECT_EQ(after.value().str, "2");
}

TEST(RedisClientTest, ServerGoneDuringALargeWriteIsAnErrorNotASignal) {
  RedisServer server;
  RedisClient client(options_for(server));
  ASSERT_TRUE(client.command({"PING"}));
  server.stop();
  // Megabytes to a closed peer: the first write draws a reset and the next one EPIPE, which
  // would raise SIGPIPE and end this process if the client let it through.
  std::vector<Command> big(64, Command{"SET", "k", std::string(256 * 1024, 'x')});
  auto r = client.pipeline(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), RedisErrc::io) << r.error().message;
}

TEST(RedisClientTest, SelectsTheConfiguredDatabase) {
  RedisServer server;
  auto options = options_for(server);
  options.db = 3;
  RedisClient in_db3(options);
  RedisClient in_db0(options_for(server));
  ASSERT_TRUE(in_db3.command({"SET", "where", "db3"}));
  EXPECT_TRUE(in_db0.command({"GET", "where"}).value().is_nil());
  EXPECT_EQ(in_db3.command({"GET", "where"}).value().str, "db3");
}

TEST(RedisClientTest, AuthenticatesAndNamesAWrongPassword) {
  RedisServer server;
  RedisClient admin(options_for(server));
  ASSERT_TRUE(admin.command({"CONFIG", "SET", "requirepass", "s3cret"}));

  auto wrong = options_for(server);
  wrong.password = "guess";
  RedisClient intruder(wrong);
  auto refused = intruder.command({"PING"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.code(), RedisErrc::connect);
  EXPECT_NE(refused.error().message.find("AUTH failed"), std::string::npos)
      << refused.error().message;

  auto right = options_for(server);
  right.password = "s3cret";
  RedisClient user(right);
  auto pong = user.command({"PING"});
  ASSERT_TRUE(pong) << pong.error().message;
  EXPECT_EQ(pong.value().str, "PONG");
}

TEST(RedisErrcTest, TheCategoryIsGaleRedisAndNamesEachKind) {
  EXPECT_STREQ(redis::redis_category().name(), "gale.redis");
  EXPECT_EQ(make_error_code(RedisErrc::connect).message(), "connect");
  EXPECT_EQ(make_error_code(RedisErrc::timeout).message(), "timeout");
  EXPECT_EQ(make_error_code(RedisErrc::invalid_command).message(), "invalid_command");
}

TEST(RedisClientTest, NothingListeningIsAConnectError) {
  redis::ConnectionOptions options;
  options.port = free_port();
  RedisClient client(options);
  auto r = client.command({"PING"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), RedisErrc::connect);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(options.port)), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace gale::testing
