// The log server's reads (log_files.h) on real files, and its answers (LogServer::handle), and
// one server over plain HTTP on 127.0.0.1 asked with NimbusClient as Nimbus asks it.
#include "log_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "gale/nimbus/client.h"
#include "log_files.h"
#include "test_support.h"

namespace gale::supervisor {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

class LogFilesTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::filesystem::path log_ = dir_.path() / "t-1-6700.log";
};

TEST_F(LogFilesTest, TheTailStartsAtTheFirstWholeLineAndAPageIsExact) {
  write_file(log_, "first line\nsecond line\nthird\n");
  auto tail = read_log(log_, std::nullopt, 15);  // "ond line\nthird\n": the cut line dropped
  ASSERT_TRUE(tail.ok()) << tail.error().message;
  EXPECT_EQ(tail->size, 29u);
  EXPECT_EQ(tail->text, "third\n");
  EXPECT_EQ(tail->start, 23u);
  // A tail that starts right after a newline keeps its first line.
  auto exact = read_log(log_, std::nullopt, 18);  // "second line\nthird\n"
  EXPECT_EQ(exact->text, "second line\nthird\n");
  EXPECT_EQ(exact->start, 11u);
  // A line longer than the tail: its end is all there is.
  auto within = read_log(log_, std::nullopt, 4);
  EXPECT_EQ(within->text, "ird\n");
  EXPECT_EQ(within->start, 25u);
  auto whole = read_log(log_, std::nullopt, 1000);
  EXPECT_EQ(whole->text, "first line\nsecond line\nthird\n");
  EXPECT_EQ(whole->start, 0u);
  auto page = read_log(log_, 6, 10);
  EXPECT_EQ(page->text, "line\nsecon");
  EXPECT_EQ(page->start, 6u);
  auto past = read_log(log_, 500, 10);
  EXPECT_EQ(past->text, "");
  EXPECT_EQ(past->start, 29u);
}

TEST_F(LogFilesTest, MissingSymlinkedOrNotRegularLogsAreRefused) {
  EXPECT_EQ(read_log(log_, std::nullopt, 10).code(), SupervisorErrc::no_such_log);
  write_file(dir_.path() / "secret", "do not serve\n");
  std::filesystem::create_symlink(dir_.path() / "secret", log_);
  auto linked = read_log(log_, std::nullopt, 10);
  EXPECT_EQ(linked.code(), SupervisorErrc::io_error);
  EXPECT_EQ(search_log(log_, "serve", 10).code(), SupervisorErrc::io_error);
  std::filesystem::remove(log_);
  std::filesystem::create_directory(log_);
  EXPECT_NE(read_log(log_, std::nullopt, 10).error().message.find("not a regular file"),
            std::string::npos);
  // A FIFO in a log's place is refused at once, not waited on for a writer.
  std::filesystem::remove(log_);
  ASSERT_EQ(::mkfifo(log_.c_str(), 0600), 0);
  EXPECT_NE(read_log(log_, std::nullopt, 10).error().message.find("not a regular file"),
            std::string::npos);
  EXPECT_EQ(search_log(log_, "x", 10).code(), SupervisorErrc::io_error);
  // So is a hard link to another file.
  std::filesystem::remove(log_);
  std::filesystem::create_hard_link(dir_.path() / "secret", log_);
  EXPECT_NE(read_log(log_, std::nullopt, 10).error().message.find("hard link"), std::string::npos);
}

TEST_F(LogFilesTest, SearchKeepsTheLastMatchesAndFindsLinesOverChunkEnds) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "line " + std::to_string(i) + (i % 2 ? " odd\n" : "\n");
  // A line that crosses the 1 MiB read boundary, and a long one that is cut.
  text += std::string((1 << 20) - text.size() - 6, 'x') + "\n";  // "odd" spans the read's end
  text += "abc odd def\n";
  text += std::string(5000, 'y') + " odd\n";
  text += "last odd";  // no newline at the end
  write_file(log_, text);
  auto found = search_log(log_, "odd", 1000);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->matches.size(), 28u);
  EXPECT_FALSE(found->more);
  EXPECT_EQ(found->matches[0].line, "line 1 odd");
  EXPECT_EQ(found->matches[25].line, "abc odd def");
  EXPECT_EQ(found->matches[25].offset, text.find("abc odd def"));
  EXPECT_EQ(found->matches[26].line.size(), kMaxLogLineBytes);
  EXPECT_EQ(found->matches[27].line, "last odd");
  auto last = search_log(log_, "odd", 2);
  EXPECT_TRUE(last->more);
  ASSERT_EQ(last->matches.size(), 2u);
  EXPECT_EQ(last->matches[1].line, "last odd");
  EXPECT_EQ(found->scanned_from, 0u);
}

TEST_F(LogFilesTest, ASearchStartingRightAfterANewlineKeepsThatLine) {
  {
    std::ofstream out(log_, std::ios::binary);
    out << "early needle\n"      // 13 bytes, before the last 64 MiB
        << "needle at start\n";  // the first line of the last 64 MiB
  }
  std::filesystem::resize_file(log_, 13 + kMaxLogSearchBytes - 1);
  std::ofstream(log_, std::ios::binary | std::ios::app) << "\n";
  auto found = search_log(log_, "needle", 10);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->scanned_from, 13u);
  ASSERT_EQ(found->matches.size(), 1u);
  EXPECT_EQ(found->matches[0].line, "needle at start");
  EXPECT_EQ(found->matches[0].offset, 13u);
}

TEST_F(LogFilesTest, SearchReadsOnlyTheLast64MiB) {
  {
    std::ofstream out(log_, std::ios::binary);
    out << "early needle\n";
  }
  std::filesystem::resize_file(log_, kMaxLogSearchBytes + 100);  // zeros, no newline
  std::ofstream(log_, std::ios::binary | std::ios::app) << "\nlate needle\n";
  auto found = search_log(log_, "needle", 10);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->scanned_from, found->size - kMaxLogSearchBytes);
  ASSERT_EQ(found->matches.size(), 1u);
  EXPECT_EQ(found->matches[0].line, "late needle");
}

class LogServerTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  LogServer::Options options_{dir_.path(), {6700, 6701}, "s3cret", "127.0.0.1", 0};

  nimbus::HttpResponse get(const std::string& target, const std::string& auth = "Bearer s3cret") {
    return LogServer::handle(options_, {"GET", target, "", auth, "127.0.0.1"});
  }
};

TEST_F(LogServerTest, OnlyTheHolderOfTheSecretIsAnswered) {
  write_file(dir_.path() / "t-1-6700.log", "hello\n");
  EXPECT_EQ(get("/logs/t-1/6700", "").status, 401);
  EXPECT_EQ(get("/logs/t-1/6700", "Bearer s3cre").status, 401);
  EXPECT_EQ(get("/logs/t-1/6700", "Bearer s3cretX").status, 401);
  EXPECT_EQ(get("/logs/t-1/6700", "Basic s3cret").status, 401);
  auto ok = get("/logs/t-1/6700");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["text"], "hello\n");
  EXPECT_EQ(LogServer::handle(options_, {"POST", "/logs/t-1/6700", "", "Bearer s3cret", ""}).status,
            405);
}

TEST_F(LogServerTest, OnlyAValidIdAndASlotNameAFile) {
  write_file(dir_.path() / "t-1-6700.log", "hello\n");
  EXPECT_EQ(get("/logs/../6700").status, 400);
  EXPECT_EQ(get("/logs/%2e%2e/6700").status, 400);
  EXPECT_EQ(get("/logs/t-1/6702").status, 404);   // not a slot
  EXPECT_EQ(get("/logs/t-1/6700x").status, 404);  // not a port
  EXPECT_EQ(get("/logs/t-1/6701").status, 404);   // a slot without a log
  EXPECT_NE(get("/logs/t-1/6701").body.find("no such log"), std::string::npos);
  EXPECT_EQ(get("/logs/t-1").status, 404);
  EXPECT_EQ(get("/other").status, 404);
  EXPECT_EQ(get("/logs/t-1/6700?length=0").status, 400);
  EXPECT_EQ(get("/logs/t-1/6700?length=1048577").status, 400);
  EXPECT_EQ(get("/logs/t-1/6700?start=-1").status, 400);
  EXPECT_EQ(get("/logs/t-1/6700?search=").status, 400);
  EXPECT_EQ(get("/logs/t-1/6700?search=" + std::string(257, 'a')).status, 400);
  EXPECT_EQ(get("/logs/t-1/6700?search=a&limit=1001").status, 400);
}

TEST_F(LogServerTest, SearchIsPercentDecodedAndBytesThatAreNotUtf8AreReplaced) {
  write_file(dir_.path() / "t-1-6700.log", "rule R7 fired & held\nbad \xff byte\nother\n");
  auto found = get("/logs/t-1/6700?search=R7%20fired%20%26&limit=5");
  ASSERT_EQ(found.status, 200) << found.body;
  auto body = json::parse(found.body);
  ASSERT_EQ(body["matches"].size(), 1u);
  EXPECT_EQ(body["matches"][0]["line"], "rule R7 fired & held");
  EXPECT_EQ(body["matches"][0]["offset"], 0);
  auto page = get("/logs/t-1/6700?start=21&length=11");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(json::parse(page.body)["text"], "bad \xef\xbf\xbd byte\n");
  EXPECT_EQ(json::parse(page.body)["end"], 32);  // bytes of the file, not of the text shown
}

TEST_F(LogServerTest, ServesOverHttpAsNimbusAsks) {
  write_file(dir_.path() / "t-1-6700.log", "one\ntwo\n");
  auto server = LogServer::start(options_);
  ASSERT_TRUE(server.ok()) << server.error().message;
  nimbus::NimbusClient nimbus({"127.0.0.1", (*server)->port(), "", {}, 5s});
  // No token without TLS: a client never sends one in the clear, so this one is refused.
  auto refused = nimbus.request("GET", "/logs/t-1/6700?length=4");
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_EQ(refused->status, 401);
  // With security off the server asks for no secret.
  options_.secret.clear();
  auto open = LogServer::start(options_);
  ASSERT_TRUE(open.ok()) << open.error().message;
  auto reply = nimbus::NimbusClient({"127.0.0.1", (*open)->port(), "", {}, 5s})
                   .request("GET", "/logs/t-1/6700?length=4");
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(json::parse(reply->body)["text"], "two\n");
  // A taken port is named.
  options_.port = (*open)->port();
  auto taken = LogServer::start(options_);
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().message.find("supervisor.logviewer.port"), std::string::npos);
}

TEST(LogSecretTest, IsSixtyFourHexDigitsAndFreshEachTime) {
  auto a = make_log_secret(), b = make_log_secret();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 64u);
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace gale::supervisor
