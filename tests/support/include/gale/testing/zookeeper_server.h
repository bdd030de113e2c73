#pragma once
// ZooKeeperServer: a throw-away standalone ZooKeeper server for tests, run as a child process
// (`java ... QuorumPeerMain zoo.cfg`, gale/common/process.h's spawn, killed if the test process
// dies) on a free port of 127.0.0.1, with its data and log in a fresh temporary directory that
// is deleted afterwards. Not thread-safe: one test thread.
#include <chrono>
#include <filesystem>
#include <string>

#include "gale/common/process.h"

namespace gale::coordination::testing {

class ZooKeeperServer {
 public:
  // Starts the server and waits until it answers "ruok" with "imok". Throws
  // std::runtime_error (with the server's log) if it does not within 30 s.
  ZooKeeperServer();
  // Stops the server (SIGTERM, then SIGKILL after 5 s) and removes the directory.
  ~ZooKeeperServer();
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  // "127.0.0.1:<port>"
  std::string connect_string() const;

  void stop();
  // Starts it again on the same port and data directory (sessions are kept in the data).
  void start();

  // Bounds on session timeouts the server grants, from its tickTime (500 ms).
  static constexpr std::chrono::milliseconds kMinSessionTimeout{1000};
  static constexpr std::chrono::milliseconds kMaxSessionTimeout{10000};

 private:
  void write_config() const;
  bool answers_ruok() const;

  std::filesystem::path dir_;
  int port_ = 0;
  Process process_;
};

}  // namespace gale::coordination::testing
