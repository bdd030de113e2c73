#include "gale/common/daemon_config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace gale {
namespace {

std::string write_yaml(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(DaemonConfigTest, ReadsKeysAndListsAndFlagsWin) {
  auto path = write_yaml("ok.yaml",
                         "nimbus.port: 7000\n"
                         "supervisor.slots.ports: [6700, 6701]\n"
                         "storm.zookeeper.servers: \"127.0.0.1:2181\"\n");
  auto r = load_daemon_config(path, {"nimbus.port=7100"});
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<std::string>(r);
  auto& c = std::get<Config>(r);
  EXPECT_EQ(c.get_int(conf::kNimbusPort), 7100);
  EXPECT_EQ(c.get_string(conf::kSupervisorSlotsPorts), "6700,6701");
  EXPECT_EQ(c.get_string(conf::kStormZookeeperRoot), "/gale");  // default
}

TEST(DaemonConfigTest, MisspeltKeyIsNamedWithItsLine) {
  auto path = write_yaml("typo.yaml", "nimbus.port: 7000\nnimbus.prot: 7001\n");
  auto r = load_daemon_config(path);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  auto e = std::get<std::string>(r);
  EXPECT_NE(e.find(path + ":2:"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'nimbus.port'"), std::string::npos) << e;
}

TEST(DaemonConfigTest, BadValueAndBadFlagAreNamed) {
  auto path = write_yaml("bad.yaml", "nimbus.port: high\n");
  auto e = std::get<std::string>(load_daemon_config(path));
  EXPECT_NE(e.find("nimbus.port: expected an integer"), std::string::npos) << e;
  auto f = std::get<std::string>(load_daemon_config("", {"nimbus.port"}));
  EXPECT_NE(f.find("expected key=value"), std::string::npos) << f;
}

TEST(DaemonConfigTest, MissingAndMalformedFilesAreNamed) {
  auto e = std::get<std::string>(load_daemon_config("/nonexistent/gale.yaml"));
  EXPECT_NE(e.find("cannot read config file '/nonexistent/gale.yaml'"), std::string::npos) << e;
  auto path = write_yaml("list.yaml", "- a\n- b\n");
  auto m = std::get<std::string>(load_daemon_config(path));
  EXPECT_NE(m.find("expected a map"), std::string::npos) << m;
}

}  // namespace
}  // namespace gale
