#include "gale/supervisor/supervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "artifact_store.h"
#include "gale/coordination/cluster_state.h"
#include "gale/coordination/zookeeper_store.h"
#include "log_server.h"
#include "process.h"
#include "worker_pool.h"

namespace gale::supervisor {
namespace {

using Clock = std::chrono::steady_clock;
using coordination::Assignment;
using coordination::ClusterState;
using coordination::WatchEvent;
using coordination::ZooKeeperStore;

// The component under which /errors/<topology-id>/ records what the supervisor could not do.
constexpr const char* kErrorComponent = "__supervisor";
// The largest topology library a supervisor downloads.
constexpr std::uint64_t kMaxArtifactBytes = std::uint64_t{1} << 30;
// Key of the watch on the list of assignments in Impl::armed_ (topology ids contain no '/').
constexpr const char* kAssignmentList = "/assignments";

Error store_error(const Error& error) {
  return make_error(SupervisorErrc::zookeeper, error.message);
}

std::int64_t unix_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

WorkerCommand worker_command(const SupervisorSettings& s) {
  return WorkerCommand{s.worker_bin,
                       s.id,
                       s.host,
                       s.worker_settings,
                       s.local_dir / "logs",
                       s.zookeeper.auth_payload,
                       s.worker_user,
                       s.local_dir / "blobs"};
}

ArtifactStore::Fetcher nimbus_fetcher(const SupervisorSettings& s) {
  auto endpoint = s.nimbus;
  endpoint.timeout = s.download_timeout;
  return [client = nimbus::NimbusClient(std::move(endpoint))](
             std::string_view sha256, const std::filesystem::path& destination) -> Status {
    auto done =
        client.download("/api/v1/artifacts/" + std::string(sha256), destination, kMaxArtifactBytes);
    if (!done) return make_error(SupervisorErrc::download_failed, done.error().message);
    return {};
  };
}

}  // namespace

class Supervisor::Impl {
 public:
  Impl(const SupervisorSettings& settings, ProcessLauncher* launcher)
      : settings_(settings),
        own_launcher_(launcher ? nullptr : std::make_unique<PosixSpawnLauncher>()),
        launcher_(launcher ? *launcher : *own_launcher_),
        artifacts_(settings.local_dir / "artifacts", nimbus_fetcher(settings)) {}

  ~Impl() { stop(); }

  Status connect() {
    auto store = ZooKeeperStore::connect(settings_.zookeeper, [this](coordination::SessionEvent e) {
      if (e == coordination::SessionEvent::expired_and_recovered) request(refresh_requested_);
    });
    if (!store) return store_error(store.error());
    store_ = std::move(store).value();
    state_.emplace(*store_);
    if (auto made = state_->init(); !made) return store_error(made.error());
    if (auto serving = start_log_server(); !serving) return serving.error();
    return register_self(/*first=*/true);
  }

  // The log server, when supervisor.logviewer.port is set: with a fresh secret that Nimbus
  // reads from the registration (none with security off).
  Status start_log_server() {
    if (settings_.logviewer_port == 0) return {};
    LogServer::Options options{settings_.local_dir / "logs", settings_.ports, "", settings_.host,
                               settings_.logviewer_port};
    if (settings_.secure) {
      auto secret = make_log_secret();
      if (!secret) return secret.error();
      options.secret = std::move(*secret);
      auto tls = nimbus::HttpServer::tls_context(settings_.tls_cert_file, settings_.tls_key_file,
                                                 conf::kSupervisorTlsCertFile,
                                                 conf::kSupervisorTlsKeyFile);
      if (!tls) return make_error(SupervisorErrc::bad_setting, tls.error().message);
      options.tls = std::move(*tls);
    }
    auto server = LogServer::start(std::move(options));
    if (!server) return server.error();
    log_server_ = std::move(*server);
    return {};
  }

  void start_threads() {
    pool_ = std::make_unique<WorkerPool>(launcher_, worker_command(settings_), settings_.kill_grace,
                                         [this](const WorkerExit&) { request(resync_requested_); });
    sync_thread_ = std::thread([this] { sync_loop(); });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (sync_thread_.joinable()) sync_thread_.join();
    if (pool_) pool_->stop();
    log_server_.reset();
    state_.reset();
    store_.reset();  // closes the session: the supervisor's ephemeral node goes
  }

  std::map<int, pid_t> workers() const { return pool_ ? pool_->running() : std::map<int, pid_t>{}; }

 private:
  // Sets `flag` (one of the *_requested_ members) and wakes the sync thread. Thread-safe.
  void request(bool& flag) {
    {
      std::lock_guard lock(mutex_);
      flag = true;
    }
    wake_.notify_all();
  }

  // The first registration replaces a node left by an earlier session; refreshes rewrite the
  // node in place so that it never disappears.
  Status register_self(bool first) {
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_);
    coordination::SupervisorInfo info{settings_.id, settings_.host, settings_.ports,
                                      uptime.count()};
    if (log_server_) {
      info.log_port = log_server_->port();
      info.log_secret = log_server_->secret();
    }
    auto registered = first ? state_->register_supervisor(info) : state_->update_supervisor(info);
    if (!registered) return store_error(registered.error());
    return {};
  }

  // Sync thread: re-reads everything when asked (a watch fired, a worker exited, the session
  // was recovered) and every resync_period anyway; re-registers every registration_refresh.
  void sync_loop() {
    auto next_resync = Clock::now();
    auto next_refresh = Clock::now() + settings_.registration_refresh;
    for (;;) {
      bool refresh = false;
      {
        std::unique_lock lock(mutex_);
        wake_.wait_until(lock, std::min(next_resync, next_refresh),
                         [this] { return stopping_ || resync_requested_ || refresh_requested_; });
        if (stopping_) return;
        refresh = refresh_requested_ || Clock::now() >= next_refresh;
        resync_requested_ = refresh_requested_ = false;
      }
      if (refresh) {
        if (auto registered = register_self(/*first=*/false); !registered) {
          spdlog::warn("cannot refresh the supervisor's registration: {}",
                       registered.error().message);
        }
        next_refresh = Clock::now() + settings_.registration_refresh;
      }
      sync_once();
      next_resync = Clock::now() + settings_.resync_period;
    }
  }

  void sync_once() {
    auto desired = read_desired();
    if (!desired) {
      spdlog::warn("cannot read the assignments, keeping the current workers: {}",
                   desired.error().message);
      return;
    }
    pool_->set_desired(std::move(desired).value());
  }

  // The workers this supervisor should run now. An error only when ZooKeeper could not be
  // read: then nothing should change.
  Result<DesiredWorkers> read_desired() {
    auto ids = read_watching(
        kAssignmentList, [this] { return state_->assignment_ids(); },
        [this](auto callback) { return state_->watch_assignment_ids(std::move(callback)); });
    if (!ids) return store_error(ids.error());
    DesiredWorkers desired;
    for (const auto& id : ids.value()) {
      auto assignment = read_watching(
          id, [&] { return state_->assignment(id); },
          [&](auto callback) { return state_->watch_assignment(id, std::move(callback)); });
      if (!assignment) return store_error(assignment.error());
      if (!assignment.value()) continue;  // removed meanwhile
      const auto ports = my_ports(*assignment.value());
      if (ports.empty()) continue;
      auto artifact = artifact_for(id, ports);
      if (!artifact) return artifact.error();
      if (!artifact.value()) continue;
      auto credentials = state_->credentials(id);
      if (!credentials) return store_error(credentials.error());
      const std::string identity = *credentials ? (*credentials)->zookeeper_auth : "";
      for (int port : ports) desired[port] = WorkerAssignment{id, *artifact.value(), identity};
    }
    return desired;
  }

  // Reads with `watch` (one-shot) unless the watch set earlier for `key` has not fired yet, in
  // which case a plain `read` suffices: a long-lived node carries one pending watch, not one
  // per resync. The watch disarms `key` and asks for a resync.
  template <class Read, class Watch>
  auto read_watching(const std::string& key, Read read, Watch watch) -> decltype(read()) {
    {
      std::lock_guard lock(mutex_);
      if (!armed_.insert(key).second) return read();
    }
    auto result = watch([this, key](const WatchEvent&) {
      {
        std::lock_guard lock(mutex_);
        armed_.erase(key);
      }
      request(resync_requested_);
    });
    if (!result) {
      std::lock_guard lock(mutex_);
      armed_.erase(key);
    }
    return result;
  }

  std::set<int> my_ports(const Assignment& assignment) const {
    std::set<int> ports;
    for (const auto& [task, slot] : assignment.task_slots) {
      if (slot.supervisor_id != settings_.id) continue;
      if (std::find(settings_.ports.begin(), settings_.ports.end(), slot.port) ==
          settings_.ports.end()) {
        spdlog::warn("assignment {} uses port {}, which is not a slot of supervisor {}",
                     assignment.topology_id, slot.port, settings_.id);
        continue;
      }
      ports.insert(slot.port);
    }
    return ports;
  }

  // The verified artifact of `topology_id`, or nothing if it cannot run here yet (its record is
  // gone, or its artifact was refused: reported in /errors, retried after artifact_retry).
  Result<std::optional<std::filesystem::path>> artifact_for(const std::string& topology_id,
                                                            const std::set<int>& ports) {
    auto record = state_->topology(topology_id);
    if (!record) return store_error(record.error());
    if (!record.value()) return std::optional<std::filesystem::path>{};
    const std::string& sha256 = record.value()->artifact_sha256;
    if (auto retry = retry_at_.find(sha256); retry != retry_at_.end()) {
      if (Clock::now() < retry->second) return std::optional<std::filesystem::path>{};
      retry_at_.erase(retry);
    }
    auto path = artifacts_.ensure(sha256);
    if (path) return std::optional{std::move(path).value()};
    retry_at_[sha256] = Clock::now() + settings_.artifact_retry;
    report(topology_id, *ports.begin(), path.error().message);
    return std::optional<std::filesystem::path>{};
  }

  void report(const std::string& topology_id, int port, const std::string& message) {
    spdlog::error("topology {}: {}", topology_id, message);
    coordination::ErrorInfo error{message, unix_now(), settings_.host, port};
    if (auto reported = state_->report_error(topology_id, kErrorComponent, error); !reported) {
      spdlog::warn("cannot report the error to ZooKeeper: {}", reported.error().message);
    }
  }

  const SupervisorSettings settings_;
  const Clock::time_point started_ = Clock::now();
  const std::unique_ptr<PosixSpawnLauncher> own_launcher_;  // when none was given
  ProcessLauncher& launcher_;

  // Declared before the store: its callbacks use them until it is destroyed.
  std::mutex mutex_;  // guards the members up to armed_
  std::condition_variable wake_;
  bool stopping_ = false;
  bool resync_requested_ = false;
  bool refresh_requested_ = false;
  std::set<std::string> armed_;  // keys of watches set and not fired yet (see read_watching)

  std::unique_ptr<ZooKeeperStore> store_;
  std::optional<ClusterState> state_;
  ArtifactStore artifacts_;                            // sync thread only
  std::map<std::string, Clock::time_point> retry_at_;  // refused artifacts; sync thread only
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<LogServer> log_server_;  // none without supervisor.logviewer.port
  std::thread sync_thread_;
};

Result<std::unique_ptr<Supervisor>> Supervisor::start(const SupervisorSettings& settings,
                                                      ProcessLauncher* launcher) {
  // The workers' logs may hold customers' data: their folder is the supervisor's user's alone
  // (a log is created 0600; the folder closes the older ones too).
  std::error_code ec;
  const auto logs = settings.local_dir / "logs";
  std::filesystem::create_directories(logs, ec);
  if (!ec)
    std::filesystem::permissions(logs, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  if (ec)
    return make_error(SupervisorErrc::io_error,
                      "cannot make " + logs.string() + " private: " + ec.message());
  auto impl = std::make_unique<Impl>(settings, launcher);
  if (auto connected = impl->connect(); !connected) return connected.error();
  impl->start_threads();
  spdlog::info("supervisor {} on {} with slots {} is running", settings.id, settings.host,
               settings.ports.size());
  return std::unique_ptr<Supervisor>(new Supervisor(std::move(impl)));
}

Supervisor::Supervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Supervisor::~Supervisor() {
  stop();
}

void Supervisor::stop() {
  impl_->stop();
}

std::map<int, pid_t> Supervisor::workers() const {
  return impl_->workers();
}

}  // namespace gale::supervisor
