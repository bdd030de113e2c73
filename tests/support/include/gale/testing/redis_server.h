#pragma once
// A real redis-server for tests: started on 127.0.0.1 and a free port, with no persistence
// configured (--save "" --appendonly no) and its own temporary --dir, so nothing of one test
// leaks into another. Ready (answers PING) when the constructor or restart() returns.
#include <memory>
#include <string>

#include "gale/testing/child_process.h"

namespace gale::testing {

class RedisServer {
 public:
  // Throws std::runtime_error (with the server's log) if it does not answer PING within 10 s.
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  bool running();
  // SIGTERM and wait: an outage. Nothing is saved, so a restart() comes back empty.
  void stop();
  // SHUTDOWN SAVE and wait: the data is written to the server's --dir in one step, with no
  // write after it, so the next restart() comes back with exactly what it held.
  void stop_keeping_data();
  // Starts again on the same port (after stop() or stop_keeping_data()) and waits for PING.
  void restart();
  // SIGSTOP / SIGCONT: a hung server. Connections stay open and the port stays taken, but
  // nothing is answered until resume(). stop() and the destructor resume it first.
  void pause();
  void resume();
  // stdout and stderr of every run of the server.
  std::string log_path() const { return dir_ + "/redis.log"; }

 private:
  void start();
  bool answers_ping() const;

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
  bool paused_ = false;
};

}  // namespace gale::testing
