#pragma once
// gale-sms-gateway-fake as a child process for tests, and plain HTTP requests to it.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gale/testing/child_process.h"

namespace gale::testing {

struct HttpReply {
  int status = 0;
  std::string body;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP/1.1 request to 127.0.0.1:port on a fresh connection, bounded by 10 s. Throws
// std::runtime_error naming what failed.
HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::string& body = {}, const Headers& headers = {});

class FakeGatewayProcess {
 public:
  // Starts the fake with `flags` on `port` (0: it picks one) and waits (10 s at most) for its
  // "listening on 127.0.0.1:PORT" line. Throws std::runtime_error with its output otherwise.
  explicit FakeGatewayProcess(std::vector<std::string> flags = {}, int port = 0);
  ~FakeGatewayProcess();

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/sms"; }
  bool running() { return process_ && process_->running(); }
  // SIGTERM; waits for the process to end.
  void stop() { process_.reset(); }
  // Starts again with the same flags on the same port.
  void restart();
  // What the process printed (every run).
  std::string output() const;
  HttpReply get(const std::string& target) const { return http_request(port_, "GET", target); }

 private:
  void start(int port);

  std::vector<std::string> flags_;
  std::string log_path_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// Runs the fake with `flags` to completion (for flags it must refuse).
CommandResult run_fake_gateway(const std::vector<std::string>& flags);

}  // namespace gale::testing
