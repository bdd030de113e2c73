#include "gale/supervisor/settings.h"

#include <gtest/gtest.h>

namespace gale::supervisor {
namespace {

Result<SupervisorSettings> settings(const std::vector<std::string>& keys_values) {
  Config conf;
  for (const auto& kv : keys_values) {
    const auto eq = kv.find('=');
    EXPECT_TRUE(conf.set(kv.substr(0, eq), kv.substr(eq + 1))) << kv;
  }
  return settings_from_config(conf, "/opt/gale/gale-worker");
}

TEST(SettingsTest, ReadsTheClusterKeys) {
  auto s = settings({"supervisor.slots.ports=6710, 6711", "supervisor.host=10.0.0.5",
                     "storm.local.dir=/var/gale", "nimbus.port=7000",
                     "storm.zookeeper.servers=zk1:2181", "storm.zookeeper.root=/g2"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->ports, (std::vector<int>{6710, 6711}));
  EXPECT_EQ(s->id, "10.0.0.5-6710");  // derived from host and ports when unset
  EXPECT_EQ(s->host, "10.0.0.5");
  EXPECT_EQ(s->local_dir, "/var/gale");
  EXPECT_EQ(s->nimbus.port, 7000);
  EXPECT_EQ(s->zookeeper.connect_string, "zk1:2181");
  EXPECT_EQ(s->zookeeper.root, "/g2");
}

// A worker gets the settings it reads, as its supervisor has them, and none of its secrets: not
// the cluster's ZooKeeper identity, not the supervisor's token.
TEST(SettingsTest, WorkersGetTheSettingsTheyReadAndNoSecret) {
  auto s = settings({"storm.local.dir=/var/gale", "storm.zookeeper.servers=zk1:2181",
                     "storm.zookeeper.session.timeout=4000", "worker.heartbeat.frequency.secs=1",
                     "storm.zookeeper.auth.payload=gale:cluster-secret", "security.token=sup.0123",
                     "nimbus.port=7000"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->worker_settings,
            (std::vector<std::string>{
                "storm.zookeeper.servers=zk1:2181", "storm.zookeeper.session.timeout=4000",
                "worker.heartbeat.frequency.secs=1", "storm.local.dir=/var/gale"}));
}

TEST(SettingsTest, TheWorkersUserIsLookedUpAtStartAndAnUnknownOneIsNamed) {
  auto s = settings({"supervisor.worker.user=nobody"});
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(s->worker_user.has_value());
  EXPECT_NE(s->worker_user->uid, 0u);
  EXPECT_FALSE(settings({}).value().worker_user.has_value());
  auto unknown = settings({"supervisor.worker.user=no-such-gale-user"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "supervisor.worker.user: no user 'no-such-gale-user' on this host");
}

TEST(SettingsTest, ALogServerNeedsItsCertificateWhileSecurityIsOn) {
  EXPECT_EQ(settings({}).value().logviewer_port, 0);  // none by default
  auto bare = settings({"supervisor.logviewer.port=6799"});
  ASSERT_FALSE(bare);
  EXPECT_NE(bare.error().message.find("supervisor.tls.cert.file is not set"), std::string::npos)
      << bare.error().message;
  auto s = settings({"supervisor.logviewer.port=6799", "supervisor.tls.cert.file=/etc/gale/s.pem",
                     "supervisor.tls.key.file=/etc/gale/s.key"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->logviewer_port, 6799);
  EXPECT_EQ(s->tls_cert_file, "/etc/gale/s.pem");
  EXPECT_TRUE(s->secure);
  auto open = settings({"supervisor.logviewer.port=6799", "security.enabled=false"});
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_FALSE(open->secure);
  auto clash = settings({"supervisor.logviewer.port=6701", "supervisor.slots.ports=6700,6701",
                         "security.enabled=false"});
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("is one of supervisor.slots.ports"), std::string::npos);
}

TEST(SettingsTest, ReadsItsTokenAndTheCaThatNimbusMustChainTo) {
  auto s = settings({"security.token=sup.0123", "security.tls.ca.file=/etc/gale/ca.pem"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->nimbus.token, "sup.0123");
  EXPECT_EQ(s->nimbus.ca_file, "/etc/gale/ca.pem");
}

TEST(SettingsTest, AnUnreadableTokenFileIsNamed) {
  auto s = settings({"security.token.file=/nonexistent/sup.token"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), SupervisorErrc::bad_setting);
  EXPECT_NE(s.error().message.find("/nonexistent/sup.token"), std::string::npos)
      << s.error().message;
}

TEST(SettingsTest, AnExplicitIdWins) {
  auto s = settings({"supervisor.id=rack1-a"});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "rack1-a");
}

TEST(SettingsTest, RefusesBadPortListsNamingTheKey) {
  for (const char* bad : {"", "6700,,6701", "67x0", "0", "70000", "6700,6700"}) {
    auto ports = parse_ports(bad);
    ASSERT_FALSE(ports) << bad;
    EXPECT_EQ(ports.code(), SupervisorErrc::bad_setting);
    EXPECT_NE(ports.error().message.find("supervisor.slots.ports"), std::string::npos);
  }
}

TEST(SettingsTest, RefusesAnIdThatCannotBeANodeName) {
  auto s = settings({"supervisor.id=a/b"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), SupervisorErrc::bad_setting);
}

}  // namespace
}  // namespace gale::supervisor
