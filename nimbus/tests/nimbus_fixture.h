#pragma once
// Shared pieces of the Nimbus tests: a temp directory, a free port, polling with a deadline,
// a fake inspector, and a Nimbus started in-process on 127.0.0.1 over a given store, with TLS
// and tokens.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "gale/coordination/cluster_state.h"
#include "gale/nimbus/client.h"
#include "gale/nimbus/nimbus.h"
#include "gale/nimbus/tokens.h"
#include "gale/testing/tls_files.h"

namespace gale::nimbus::testing {

inline const std::filesystem::path kBinDir = GALE_BIN_DIR;
inline const std::filesystem::path kTopologyDir = GALE_TOPOLOGY_DIR;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gale-nimbus-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A port that was free a moment ago on 127.0.0.1.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Polls `condition` every 20 ms until it holds or `limit` passes; true if it held.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// A layout like inspect's for spout (tasks 1-2), bolt (3-6) and __acker (7), one task per
// executor unless -e splits a component differently; like inspect, it refuses -e for a
// component that does not exist. Counts its calls.
struct FakeInspector {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  // While set, an inspection waits (up to 20 s): a slow submit, as a large topology's is.
  std::shared_ptr<std::atomic<bool>> hold = std::make_shared<std::atomic<bool>>(false);

  Inspector inspector() const {
    return [calls = calls, hold = hold](const InspectRequest& request) -> Result<TopologyLayout> {
      ++*calls;
      for (int i = 0; i < 2000 && hold->load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      for (const auto& [id, n] : request.executor_overrides)
        if (id != "spout" && id != "bolt")
          return make_error(NimbusErrc::bad_request,
                            "executors given for unknown component '" + id + "'");
      TopologyLayout layout{"fake", 7, {}};
      auto add = [&](std::string id, std::string kind, int first, int last) {
        ComponentLayout c{id, kind, {}, {}};
        for (int t = first; t <= last; ++t) c.tasks.push_back(t);
        auto it = request.executor_overrides.find(id);
        int n = it == request.executor_overrides.end() ? last - first + 1 : it->second;
        int size = (last - first + 1 + n - 1) / n;
        for (int t = first; t <= last; t += size)
          c.executors.push_back({t, std::min(last, t + size - 1)});
        layout.components.push_back(std::move(c));
      };
      add("spout", "spout", 1, 2);
      add("bolt", "bolt", 3, 6);
      add("__acker", "acker", 7, 7);
      layout.changeable = {"fake.rate", "fake.password"};
      return layout;
    };
  }
};

// A Nimbus running in this process on 127.0.0.1:<free port>, over `store`, secured as in
// production: HTTPS with a certificate from scripts/make-tls.sh (in <local_dir>/tls) and bearer
// tokens; client() is an admin's. `settings` may turn security off (security.enabled=false).
class InProcessNimbus {
 public:
  InProcessNimbus(coordination::StateStore& store, const std::filesystem::path& local_dir,
                  Inspector inspector,
                  std::vector<std::pair<std::string, std::string>> settings = {})
      : store_(store) {
    NimbusOptions options;
    EXPECT_TRUE(options.config.set(conf::kStormLocalDir, local_dir.string()));
    EXPECT_TRUE(options.config.set(conf::kNimbusPort, static_cast<std::int64_t>(free_port())));
    for (const auto& [key, value] : settings) EXPECT_TRUE(options.config.set(key, value)) << key;
    if (options.config.get_bool(conf::kSecurityEnabled)) {
      tls_ = gale::testing::make_tls_files(local_dir / "tls");
      EXPECT_TRUE(options.config.set(conf::kNimbusTlsCertFile, tls_.cert.string()));
      EXPECT_TRUE(options.config.set(conf::kNimbusTlsKeyFile, tls_.key.string()));
      admin_token_ = issue("admin", Role::admin);
    }
    options.inspector = std::move(inspector);
    options.worker_binary = kBinDir / "gale-worker";
    options.inspect_timeout = std::chrono::seconds(20);
    auto started = Nimbus::start(store, std::move(options));
    if (!started) throw std::runtime_error(started.error().message);
    nimbus_ = std::move(started).value();
  }

  // A token for `principal` with `role`, stored as `gale token create` stores it.
  std::string issue(const std::string& principal, Role role) {
    coordination::ClusterState state(store_);
    EXPECT_TRUE(state.init());
    auto issued = issue_token(state, principal, role, 1700000000);
    if (!issued) throw std::runtime_error(issued.error().message);
    return issued->token;
  }

  // The endpoint a CLI configured for this Nimbus uses, with `token`.
  NimbusEndpoint endpoint(std::string token) const {
    return NimbusEndpoint{"127.0.0.1", nimbus_->port(), std::move(token), tls_.ca,
                          std::chrono::seconds(60)};
  }
  NimbusClient client() const { return NimbusClient(endpoint(admin_token_)); }
  NimbusClient client_with(std::string token) const {
    return NimbusClient(endpoint(std::move(token)));
  }
  const gale::testing::TlsFiles& tls() const { return tls_; }
  Nimbus& nimbus() { return *nimbus_; }

 private:
  coordination::StateStore& store_;
  gale::testing::TlsFiles tls_;
  std::string admin_token_;
  std::unique_ptr<Nimbus> nimbus_;
};

inline coordination::SupervisorInfo supervisor(const std::string& id, std::vector<int> ports) {
  return {id, "127.0.0.1", std::move(ports), 0};
}

}  // namespace gale::nimbus::testing
