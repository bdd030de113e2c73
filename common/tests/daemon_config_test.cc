#include "gale/common/daemon_config.h"

#include <gtest/gtest.h>

#include <filesystem>
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
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto& c = r.value();
  EXPECT_EQ(c.get_int(conf::kNimbusPort), 7100);
  EXPECT_EQ(c.get_string(conf::kSupervisorSlotsPorts), "6700,6701");
  EXPECT_EQ(c.get_string(conf::kStormZookeeperRoot), "/gale");  // default
}

TEST(DaemonConfigTest, MisspeltKeyIsNamedWithItsLine) {
  auto path = write_yaml("typo.yaml", "nimbus.port: 7000\nnimbus.prot: 7001\n");
  auto r = load_daemon_config(path);
  ASSERT_FALSE(r.ok());
  auto e = r.error().message;
  EXPECT_NE(e.find(path + ":2:"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'nimbus.port'"), std::string::npos) << e;
}

TEST(DaemonConfigTest, BadValueAndBadFlagAreNamed) {
  auto path = write_yaml("bad.yaml", "nimbus.port: high\n");
  auto e = load_daemon_config(path).error().message;
  EXPECT_NE(e.find("nimbus.port: expected an integer"), std::string::npos) << e;
  auto f = load_daemon_config("", {"nimbus.port"}).error().message;
  EXPECT_NE(f.find("expected key=value"), std::string::npos) << f;
}

TEST(DaemonConfigTest, MissingAndMalformedFilesAreNamed) {
  auto e = load_daemon_config("/nonexistent/gale.yaml").error().message;
  EXPECT_NE(e.find("cannot read config file '/nonexistent/gale.yaml'"), std::string::npos) << e;
  auto path = write_yaml("list.yaml", "- a\n- b\n");
  auto m = load_daemon_config(path).error().message;
  EXPECT_NE(m.find("expected a map"), std::string::npos) << m;
}

// ./gale.yaml, else the machine's file, else none; run in a fresh folder so that the test's own
// working directory does not matter.
TEST(DaemonConfigTest, DefaultPathIsTheLocalFileThenTheSystemFile) {
  auto dir = std::filesystem::path(::testing::TempDir()) / "default-config-path";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  auto system_file = dir / "etc-gale.yaml";
  EXPECT_EQ(default_config_path(system_file), "");
  std::ofstream(system_file) << "nimbus.port: 7000\n";
  EXPECT_EQ(default_config_path(system_file), system_file.string());
  std::ofstream("gale.yaml") << "nimbus.port: 7001\n";
  EXPECT_EQ(default_config_path(system_file), "gale.yaml");
  std::filesystem::current_path(previous);
}

}  // namespace
}  // namespace gale
