// MockCluster: its brokers listen on 127.0.0.1 only; a topic it cannot make is named. (Real
// traffic through it: every other test in kafka_test.)
#include "gale/kafka/mock_cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace gale::kafka {
namespace {

using ::testing::HasSubstr;

// Ports in `bootstrap` ("127.0.0.1:1234,127.0.0.1:5678").
std::set<int> ports_of(const std::string& bootstrap) {
  std::set<int> ports;
  std::stringstream in(bootstrap);
  for (std::string item; std::getline(in, item, ',');) {
    EXPECT_EQ(item.rfind("127.0.0.1:", 0), 0u) << item;
    ports.insert(std::stoi(item.substr(item.rfind(':') + 1)));
  }
  return ports;
}

// Local addresses ("0100007F:04D2") of the listening TCP sockets on `port`, IPv4 and IPv6.
std::vector<std::string> listeners_on(int port) {
  std::vector<std::string> found;
  char hex_port[8];
  std::snprintf(hex_port, sizeof hex_port, "%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      bool listening = state == "0A";
      if (listening && local.substr(local.rfind(':') + 1) == hex_port) found.push_back(local);
    }
  }
  return found;
}

TEST(MockClusterTest, BrokersListenOnLoopbackOnly) {
  MockCluster cluster(3);
  std::set<int> ports = ports_of(cluster.bootstrap_servers());
  ASSERT_EQ(ports.size(), 3u) << cluster.bootstrap_servers();
  for (int port : ports) {
    std::vector<std::string> listeners = listeners_on(port);
    ASSERT_EQ(listeners.size(), 1u) << "port " << port;
    EXPECT_EQ(listeners[0].substr(0, listeners[0].rfind(':')), "0100007F")
        << "broker on port " << port << " listens on " << listeners[0] << ", not 127.0.0.1";
  }
}

TEST(MockClusterTest, RefusingATopicNamesIt) {
  MockCluster cluster;
  try {
    cluster.create_topic("bad", 0);
    FAIL() << "a topic without partitions was created";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("'bad'"));
  }
}

}  // namespace
}  // namespace gale::kafka
