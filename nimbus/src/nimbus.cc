#include "gale/nimbus/nimbus.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "api.h"
#include "artifact_store.h"
#include "audit_log.h"
#include "gale/anomalies/log.h"
#include "gale/anomalies/webhook.h"
#include "gale/common/rfc3339.h"
#include "gale/coordination/cluster_state.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/nimbus/http_server.h"
#include "gale/nimbus/tokens.h"
#include "topology_service.h"

namespace gale::nimbus {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class Nimbus::Impl {
 public:
  Impl(coordination::StateStore& store, NimbusOptions options, std::unique_ptr<AuditLog> audit,
       std::shared_ptr<boost::asio::ssl::context> tls)
      : options_(std::move(options)),
        state_(store),
        audit_(std::move(audit)),
        artifacts_(std::filesystem::path(options_.config.get_string(conf::kStormLocalDir)) /
                   "artifacts"),
        history_(open_history(options_.config)),
        anomaly_log_(open_anomaly_log(options_.config)),
        detector_(anomalies::AnomalySettings::from(options_.config)),
        service_(ServiceContext{state_, artifacts_, inspector(), defer(), unix_now,
                                options_.config.get_int(conf::kNimbusTaskTimeoutSecs),
                                [&store] { return store.interruptions(); },
                                options_.config.get_bool(conf::kSecurityEnabled),
                                [this](const coordination::TopologyRecord& r, std::int64_t due) {
                                  audit_scheduled_start(r, due);
                                },
                                options_.config.get_bool(conf::kSecurityEnabled)
                                    ? options_.config.get_string(conf::kSecurityTlsCaFile, "")
                                    : std::string()}),
        api_(service_, artifacts_, state_, leader_view(), ApiGuards{access_, limiter_, *audit_},
             unix_now, history_.get(), anomaly_log_.get(), console_ ? &*console_ : nullptr),
        server_(
            io_, [this](const HttpRequest& request) { return api_.handle(request); },
            static_cast<std::size_t>(options_.config.get_int(conf::kNimbusMaxRequestBytes)),
            std::move(tls), [this](const HttpRequest& header) { return api_.check_header(header); },
            static_cast<std::size_t>(options_.config.get_int(conf::kNimbusMaxConnections))) {}

  ~Impl() {
    {
      std::lock_guard lock(stop_mutex_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    if (monitor_.joinable()) monitor_.join();
    if (history_thread_.joinable()) history_thread_.join();
    if (schedule_thread_.joinable()) schedule_thread_.join();
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
  }

  Status start() {
    if (auto ready = state_.init(); !ready)
      return make_error(NimbusErrc::internal, ready.error().message);
    if (auto hooked = start_webhook(); !hooked) return hooked;
    if (!console_) return console_.error();
    if (anomaly_log_) {
      auto open = anomaly_log_->list(true, "", 100000);
      if (open) detector_.restore(*open);
    }
    if (!access_.enabled())
      spdlog::warn(
          "SECURITY IS OFF (security.enabled=false): no token is asked for, anyone who reaches "
          "this port can submit code that runs on every supervisor; for development only");
    std::string host = options_.config.get_string(conf::kNimbusHost);
    int port = static_cast<int>(options_.config.get_int(conf::kNimbusPort));
    if (auto listening = server_.start(host, port); !listening) return listening;
    // host-port: only one process can listen there, so a leader node holding this id belongs to
    // this Nimbus's own previous run (killed before its session ended), and a restarted Nimbus
    // leads again at once instead of answering "not the leader" until that session expires.
    if (options_.nimbus_id.empty())
      options_.nimbus_id = host + "-" + std::to_string(server_.port());
    try_lead();
    io_thread_ = std::thread([this] { io_.run(); });
    monitor_ = std::thread([this] { monitor_loop(); });
    schedule_thread_ = std::thread([this] { schedule_loop(); });
    if (history_) history_thread_ = std::thread([this] { history_loop(); });
    return {};
  }

  int port() const { return server_.port(); }
  bool is_leader() const { return leader_.load(); }

 private:
  Inspector inspector() const {
    if (options_.inspector) return options_.inspector;
    return process_inspector(options_.worker_binary, options_.inspect_timeout);
  }

  // Runs `step` on the io thread after `delay`. Dropped if Nimbus stops first.
  Defer defer() {
    return [this](std::chrono::seconds delay, std::function<void()> step) {
      auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
      timer->async_wait([timer, step = std::move(step)](boost::system::error_code ec) {
        if (!ec) step();
      });
    };
  }

  LeaderView leader_view() {
    return {[this] { return leader_.load(); },
            [this]() -> std::optional<std::string> {
              auto leader = state_.leader();
              return leader ? *leader : std::nullopt;
            }};
  }

  // Becomes the leader if /nimbus/leader is free; on becoming it, resumes unfinished kills.
  void try_lead() {
    auto won = state_.try_become_leader(options_.nimbus_id);
    if (!won) {
      spdlog::warn("leader election: {}", won.error().message);
      return;
    }
    if (*won && !leader_.exchange(true)) {
      spdlog::info("nimbus {} is the leader", options_.nimbus_id);
      // What the previous leader saw is not ours: every worker gets a full timeout from now.
      service_.lose_sight();
      service_.resume_kills();
    }
    if (!*won && leader_.exchange(false))
      spdlog::warn("nimbus {} lost the leadership", options_.nimbus_id);
  }

  void monitor_loop() {
    auto period = std::chrono::seconds(options_.config.get_int(conf::kNimbusMonitorFreqSecs));
    std::unique_lock lock(stop_mutex_);
    while (!stop_cv_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      try_lead();
      if (leader_.load()) service_.monitor();
      lock.lock();
    }
  }

  // The metric history (docs/METRICS.md, "History"): every Nimbus samples the heartbeats, the
  // standbys too, so that a new leader has the hours before it led. Null (logged) when its file
  // cannot be opened: Nimbus runs on, and the history's route answers 503.
  static std::unique_ptr<metric_history::HistoryStore> open_history(const Config& conf) {
    metric_history::HistoryLimits limits;
    limits.fine_secs = conf.get_int(conf::kNimbusMetricsHistoryIntervalSecs);
    limits.coarse_keep_secs = conf.get_int(conf::kNimbusMetricsHistoryDays) * 86400;
    limits.max_series =
        static_cast<std::size_t>(conf.get_int(conf::kNimbusMetricsHistoryMaxSeries));
    auto file =
        std::filesystem::path(conf.get_string(conf::kStormLocalDir)) / "metrics" / "history.db";
    auto store = metric_history::HistoryStore::open(file, limits);
    if (!store) {
      spdlog::error("{}; Nimbus runs without a metric history", store.error().message);
      return nullptr;
    }
    return std::move(*store);
  }

  // The console's files (nimbus.ui.dir, or found beside gale-nimbus): an error only for a
  // folder named in the config (Nimbus then stops at start); none found, or one found beside
  // gale-nimbus that cannot be served, is no console (logged).
  static Result<ConsoleAssets> load_console(const Config& conf) {
    std::string configured = conf.get_string(conf::kNimbusUiDir);
    std::optional<std::filesystem::path> dir =
        configured.empty() ? default_console_dir() : std::filesystem::path(configured);
    if (!dir) {
      spdlog::warn(
          "no console found beside gale-nimbus (scripts/build-console.sh builds it); "
          "/ui/ answers 404");
      return ConsoleAssets{};
    }
    auto loaded = ConsoleAssets::load(*dir);
    if (loaded) {
      spdlog::info("console: {} files from {}, at /ui/", loaded->size(), dir->string());
    } else if (configured.empty()) {
      spdlog::error("{}; Nimbus runs without a console", loaded.error().message);
      return ConsoleAssets{};
    }
    return loaded;
  }

  // Scheduled starts are due to the second: looked at every second, by the leader.
  void schedule_loop() {
    std::unique_lock lock(stop_mutex_);
    while (!stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      // A change no one could hear of is not made: while the audit log fails, it waits.
      if (leader_.load() && !audit_->failing()) service_.start_scheduled();
      lock.lock();
    }
  }

  void audit_scheduled_start(const coordination::TopologyRecord& r, std::int64_t due) {
    nlohmann::json entry{{"time", format_rfc3339(unix_now())},
                         {"principal", "nimbus"},
                         {"role", nullptr},
                         {"source", "scheduled start"},
                         {"action", "activate"},
                         {"topology", r.name},
                         {"outcome", "ok"},
                         {"status", 200},
                         {"detail", "scheduled for " + format_rfc3339(due)}};
    if (auto written = audit_->append(entry); !written)
      spdlog::error("{} (entry: {})", written.error().message,
                    entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  void history_loop() {
    auto period =
        std::chrono::seconds(options_.config.get_int(conf::kNimbusMetricsHistoryIntervalSecs));
    std::unique_lock lock(stop_mutex_);
    while (!stop_cv_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      try {
        sample_history();
      } catch (const std::exception& e) {  // a heartbeat no check foresaw: this sample is lost
        spdlog::warn("metric history: a sample failed: {}", e.what());
      }
      lock.lock();
    }
  }

  void sample_history() {
    auto topologies = service_.observe();
    if (!topologies) return;  // ZooKeeper away: a gap in the curves, not made-up points
    std::vector<metric_history::TopologySample> samples;
    for (const auto& t : *topologies) {
      auto& sample = samples.emplace_back();
      sample.topology = t.record.name;
      for (const auto& beat : t.beats)
        sample.workers.push_back({beat.host + ":" + std::to_string(beat.port), beat.stats});
    }
    auto points = sampler_.sample(samples);
    std::int64_t now = unix_now();
    if (auto s = history_->record(now, points); !s) spdlog::warn("{}", s.error().message);
    watch_anomalies(now, points, *topologies);
  }

  // The log beside the history; null (logged) when it cannot be opened: anomalies are then
  // still logged and sent to the webhook, not kept.
  static std::unique_ptr<anomalies::AnomalyLog> open_anomaly_log(const Config& conf) {
    auto file =
        std::filesystem::path(conf.get_string(conf::kStormLocalDir)) / "metrics" / "anomalies.db";
    auto log =
        anomalies::AnomalyLog::open(file, conf.get_int(conf::kNimbusMetricsHistoryDays) * 86400);
    if (!log) {
      spdlog::error("{}; anomalies are not kept", log.error().message);
      return nullptr;
    }
    return std::move(*log);
  }

  Status start_webhook() {
    std::string url = options_.config.get_string(conf::kNimbusAnomalyWebhookUrl);
    if (url.empty()) return {};
    std::string token;
    if (std::string file = options_.config.get_string(conf::kNimbusAnomalyWebhookTokenFile);
        !file.empty()) {
      std::ifstream in(file);
      if (!in)
        return make_error(NimbusErrc::bad_request,
                          "nimbus.anomaly.webhook.token.file: cannot read " + file);
      std::getline(in, token);
    }
    auto hook = anomalies::Webhook::start(
        url, options_.config.get_string(conf::kNimbusAnomalyWebhookCaFile), token);
    if (!hook) return make_error(NimbusErrc::bad_request, hook.error().message);
    webhook_ = std::move(*hook);
    return {};
  }

  // Anomaly monitoring (docs/METRICS.md, "Anomalies"), on this sample. Every Nimbus evaluates
  // and keeps its own log (a new leader knows what is open and has the past); only the leader
  // logs them and calls the webhook: one call per anomaly, not one per Nimbus.
  void watch_anomalies(std::int64_t now, const std::vector<metric_history::Point>& points,
                       const std::vector<ObservedTopology>& observed) {
    std::vector<anomalies::TopologyState> states;
    for (const auto& t : observed) {
      anomalies::TopologyState s;
      s.topology = t.record.name;
      s.active = t.record.status == coordination::TopologyStatus::active;
      std::set<std::string> spouts;
      for (const auto& beat : t.beats) {
        anomalies::TopologyState::Worker w{beat.host + ":" + std::to_string(beat.port),
                                           beat.instance, 0};
        if (auto c = beat.stats.find("checkpoints"); c != beat.stats.end() && c->is_object())
          if (auto a = c->find("abandoned"); a != c->end() && a->is_number())
            w.checkpoints_abandoned = a->get<double>();
        s.workers.push_back(std::move(w));
        if (auto cs = beat.stats.find("components"); cs != beat.stats.end() && cs->is_object())
          for (const auto& [id, c] : cs->items())
            if (auto kind = c.find("kind"); c.is_object() && kind != c.end() && *kind == "spout")
              spouts.insert(id);
      }
      s.spouts.assign(spouts.begin(), spouts.end());
      states.push_back(std::move(s));
    }
    anomalies::Changes changes = detector_.evaluate(now, points, states);
    // Each Nimbus keeps its own log (so a new leader's is whole); the leader alone tells.
    const bool leader = leader_.load();
    for (auto& a : changes.raised) {
      if (leader) spdlog::warn("anomaly raised: {} ({})", a.message, a.rule);
      if (anomaly_log_) {
        if (auto s = anomaly_log_->raised(a); !s) spdlog::warn("{}", s.error().message);
        detector_.recorded(a);
      }
      if (webhook_ && leader) webhook_->send("raised", a);
    }
    for (const auto& a : changes.cleared) {
      if (leader) spdlog::info("anomaly cleared: {} ({})", a.message, a.rule);
      if (anomaly_log_ && a.id > 0)
        if (auto s = anomaly_log_->cleared(a); !s) spdlog::warn("{}", s.error().message);
      if (webhook_ && leader) webhook_->send("cleared", a);
    }
    if (anomaly_log_ && !changes.cleared.empty()) (void)anomaly_log_->expire(now);
  }

  NimbusOptions options_;
  coordination::ClusterState state_;
  std::unique_ptr<AuditLog> audit_;
  AccessControl access_{state_, options_.config.get_bool(conf::kSecurityEnabled)};
  RateLimiter limiter_{options_.config.get_int(conf::kNimbusRequestsPerSec)};
  ArtifactStore artifacts_;
  std::unique_ptr<metric_history::HistoryStore> history_;
  metric_history::Sampler sampler_;
  std::unique_ptr<anomalies::AnomalyLog> anomaly_log_;
  anomalies::AnomalyDetector detector_;
  std::unique_ptr<anomalies::Webhook> webhook_;
  Result<ConsoleAssets> console_ = load_console(options_.config);
  std::atomic<bool> leader_{false};
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  TopologyService service_;
  Api api_;
  HttpServer server_;
  std::thread io_thread_;
  std::thread monitor_;
  std::thread history_thread_;
  std::thread schedule_thread_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

Nimbus::Nimbus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Nimbus::~Nimbus() = default;

Result<std::unique_ptr<Nimbus>> Nimbus::start(coordination::StateStore& store,
                                              NimbusOptions options) {
  auto audit = AuditLog::open(
      {std::filesystem::path(options.config.get_string(conf::kStormLocalDir)) / "audit",
       static_cast<std::uint64_t>(options.config.get_int(conf::kNimbusAuditMaxBytes)),
       static_cast<int>(options.config.get_int(conf::kNimbusAuditMaxFiles))});
  if (!audit) return audit.error();
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (options.config.get_bool(conf::kSecurityEnabled)) {
    for (const char* key : {conf::kNimbusTlsCertFile, conf::kNimbusTlsKeyFile})
      if (!options.config.contains(key))
        return make_error(NimbusErrc::bad_request,
                          std::string("security.enabled is true but ") + key +
                              " is not set: Nimbus speaks only TLS while security is on "
                              "(scripts/make-tls.sh makes a certificate for a local cluster)");
    auto context = HttpServer::tls_context(options.config.get_string(conf::kNimbusTlsCertFile),
                                           options.config.get_string(conf::kNimbusTlsKeyFile));
    if (!context) return context.error();
    tls = std::move(context).value();
  }
  auto impl =
      std::make_unique<Impl>(store, std::move(options), std::move(audit).value(), std::move(tls));
  if (auto started = impl->start(); !started) return started.error();
  return std::unique_ptr<Nimbus>(new Nimbus(std::move(impl)));
}

int Nimbus::port() const {
  return impl_->port();
}
bool Nimbus::is_leader() const {
  return impl_->is_leader();
}

std::filesystem::path default_worker_binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path("gale-worker") : self.parent_path() / "gale-worker");
}

Result<std::string> create_token_in_zookeeper(const Config& conf, const std::string& principal,
                                              const std::string& role) {
  auto parsed = parse_role(role);
  if (!parsed) return parsed.error();
  auto zk = coordination::ZooKeeperOptions::from(conf);
  auto store = coordination::ZooKeeperStore::connect(zk);
  if (!store)
    return make_error(NimbusErrc::internal, "cannot connect to ZooKeeper at " + zk.connect_string +
                                                ": " + store.error().message);
  coordination::ClusterState state(**store);
  if (auto ready = state.init(); !ready)
    return make_error(NimbusErrc::internal, ready.error().message);
  auto issued = issue_token(state, principal, *parsed, unix_now());
  if (!issued) return issued.error();
  return issued->token;
}

namespace {

// Blocks SIGINT and SIGTERM in every thread (call before starting any) and waits for one.
class SignalWaiter {
 public:
  SignalWaiter() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  int wait() {
    int signal = 0;
    sigwait(&set_, &signal);
    return signal;
  }

 private:
  sigset_t set_;
};

}  // namespace

int run_nimbus(NimbusOptions options) {
  SignalWaiter signals;
  auto zk = coordination::ZooKeeperOptions::from(options.config);
  // Tokens, keys and assignments live in ZooKeeper: with open nodes anyone who reaches it could
  // mint an admin token, so security needs the ACL too.
  if (zk.auth_payload.empty() && options.config.get_bool(conf::kSecurityEnabled)) {
    spdlog::error(
        "security.enabled is true but storm.zookeeper.auth.payload is not set: "
        "Gale's ZooKeeper nodes (tokens among them) would be open to anyone who reaches "
        "ZooKeeper; set it to user:password (docs/SECURITY.md)");
    return 1;
  }
  auto store = coordination::ZooKeeperStore::connect(zk);
  if (!store) {
    spdlog::error("cannot connect to ZooKeeper at {}: {}", zk.connect_string,
                  store.error().message);
    return 1;
  }
  if (!zk.auth_payload.empty()) {  // nodes made before the identity was set stay open
    coordination::ClusterState state(**store);
    auto ready = state.init();
    auto open = ready ? state.open_folders() : Result<std::vector<std::string>>(ready.error());
    if (!open) {
      spdlog::error("cannot check the ACLs of Gale's ZooKeeper nodes under {}: {}", zk.root,
                    open.error().message);
      return 1;
    }
    if (!open->empty()) {
      std::string names;
      for (const auto& node : *open) names += (names.empty() ? "" : ", ") + node;
      spdlog::error(
          "ZooKeeper nodes under {} are open to every client ({}): they were made before "
          "storm.zookeeper.auth.payload was set; start on a fresh storm.zookeeper.root "
          "(docs/SECURITY.md)",
          zk.root, names);
      return 1;
    }
  }
  auto nimbus = Nimbus::start(**store, std::move(options));
  if (!nimbus) {
    spdlog::error("{}", nimbus.error().message);
    return 1;
  }
  spdlog::info("nimbus listening on port {}", (*nimbus)->port());
  int signal = signals.wait();
  spdlog::info("nimbus stopping on signal {}", signal);
  return 0;
}

}  // namespace gale::nimbus
