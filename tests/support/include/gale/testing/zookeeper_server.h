#pragma once
// ZooKeeperServer: a throw-away ZooKeeper server for tests, run as a child process (`java ...
// QuorumPeerMain zoo.cfg`, gale/common/process.h's spawn, killed if the test process dies), by
// default standalone on a free port of 127.0.0.1; with Options, on another address (a
// NetworkLab host) and as one member of an ensemble. Its data and log are in a fresh temporary
// directory that is deleted afterwards. Not thread-safe: one test thread.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "gale/common/process.h"

namespace gale::coordination::testing {

class ZooKeeperServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    int port = 0;                          // 0: a free port of 127.0.0.1
    std::vector<std::string> launch = {};  // argv prefix, e.g. NetworkLab::on(host, {})
    // An ensemble: every member's address (client port `port`, quorum ports 2888 and 3888),
    // and this one's place in it (1-based). Empty: standalone.
    std::vector<std::string> ensemble = {};
    int id = 0;
  };

  // Starts the server and waits until it answers "ruok" with "imok" (an ensemble member does
  // before it has a quorum). Throws std::runtime_error (with the server's log) if it does not
  // within 30 s.
  ZooKeeperServer();
  explicit ZooKeeperServer(Options options);
  // Stops the server (SIGTERM, then SIGKILL after 5 s) and removes the directory.
  ~ZooKeeperServer();
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  // "<address>:<port>"
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

  Options options_;
  std::filesystem::path dir_;
  Process process_;
};

}  // namespace gale::coordination::testing
