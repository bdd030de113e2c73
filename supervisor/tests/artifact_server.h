#pragma once
// ArtifactServer: stands in for Nimbus's artifact endpoint in tests. Serves
// GET /api/v1/artifacts/<sha256> from a map on 127.0.0.1 (a free port), 404 for anything else,
// on a thread of its own. put(), requests() and last_authorization() are thread-safe.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace gale::supervisor::testing {

class ArtifactServer {
 public:
  ArtifactServer();
  ~ArtifactServer();  // stops serving and joins the thread
  ArtifactServer(const ArtifactServer&) = delete;
  ArtifactServer& operator=(const ArtifactServer&) = delete;

  int port() const { return port_; }
  // Serves `bytes` under `name` (normally their sha256, but a test may lie).
  void put(const std::string& name, std::string bytes);
  int requests() const { return requests_; }
  // The Authorization header of the last request ("" if it had none).
  std::string last_authorization();

  struct Io;  // Boost.Asio state, private to the implementation

 private:
  void accept();
  std::string body_for(const std::string& target);

  std::unique_ptr<Io> io_;
  int port_ = 0;
  std::mutex mutex_;
  std::map<std::string, std::string> artifacts_;
  std::atomic<int> requests_{0};
  std::string last_authorization_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace gale::supervisor::testing
