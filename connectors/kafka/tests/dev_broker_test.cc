// gale-kafka-dev as a user runs it: it prints its address first, carries messages, writes the
// bootstrap file, stops on SIGTERM, and names a bad flag.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gale/testing/child_process.h"
#include "gale/testing/kafka_test_support.h"

namespace gale::kafka::testing {
namespace {

using gale::testing::ChildProcess;
using gale::testing::run_command;
using ::testing::HasSubstr;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

class DevBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(GALE_KAFKA_DEV_BIN))
        << GALE_KAFKA_DEV_BIN << " is not built (tools/kafka-dev-broker)";
    dir_ = std::filesystem::temp_directory_path() / ("gale-kafka-dev-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(DevBrokerTest, PrintsItsAddressCarriesMessagesAndStopsOnSigterm) {
  std::string log = dir_ / "broker.log";
  std::string file = dir_ / "bootstrap";
  ChildProcess broker(
      {GALE_KAFKA_DEV_BIN, "--brokers", "2", "--topic", "payments:2", "--bootstrap-file", file},
      log);
  ASSERT_TRUE(eventually([&] { return read_file(log).find('\n') != std::string::npos; }))
      << "no first line; log: " << read_file(log);
  std::string line = first_line(read_file(log));
  ASSERT_EQ(line.rfind("bootstrap.servers=127.0.0.1:", 0), 0u) << line;
  std::string bootstrap = line.substr(std::string("bootstrap.servers=").size());
  EXPECT_EQ(std::count(bootstrap.begin(), bootstrap.end(), ','), 1) << "two brokers: " << bootstrap;
  EXPECT_EQ(read_file(file), bootstrap + "\n");

  produce_one(bootstrap, "payments", 1, "hello");
  std::vector<Message> got = consume(bootstrap, "payments", 2, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].partition, 1);
  EXPECT_EQ(got[0].value, "hello");

  kill(broker.pid(), SIGTERM);
  EXPECT_TRUE(eventually([&] { return !broker.running(); }, 5s)) << "still running after SIGTERM";
}

TEST_F(DevBrokerTest, ABadTopicFlagIsNamed) {
  auto result = run_command({GALE_KAFKA_DEV_BIN, "--topic", "payments:zero"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("--topic 'payments:zero': expected name:partitions"));
}

}  // namespace
}  // namespace gale::kafka::testing
