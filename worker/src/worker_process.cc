#include "worker_process.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <stop_token>
#include <thread>

#include "blob_sync.h"
#include "gale/common/clock.h"
#include "gale/common/logging.h"
#include "gale/coordination/cluster_state.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/runtime/layout.h"
#include "gale/runtime/runtime.h"
#include "gale/runtime/topology_loader.h"
#include "gale/transport/zmq_transport.h"

namespace gale::worker {

namespace coord = gale::coordination;

namespace {

std::int64_t unix_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

// Peer id of a worker slot: "host:port".
std::string peer_id(const std::string& host, int port) {
  return host + ":" + std::to_string(port);
}

// A heartbeat stays well inside ZooKeeper's 1 MB node: past this many metric series, or this
// many bytes of them, in one worker the rest are left out and counted.
constexpr std::size_t kMaxHeartbeatSeries = 2000;
constexpr std::size_t kMaxHeartbeatSeriesBytes = 512 * 1024;

nlohmann::json stats_json(const runtime::TopologyStats& stats) {
  nlohmann::json components = nlohmann::json::object();
  std::size_t series = 0, series_bytes = 0;
  std::uint64_t series_dropped = 0;
  for (const auto& c : stats.components) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& s : c.metrics) {
      nlohmann::json j = metrics::to_json(s);
      std::size_t bytes = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
      if (series < kMaxHeartbeatSeries && series_bytes + bytes <= kMaxHeartbeatSeriesBytes) {
        ++series;
        series_bytes += bytes;
        metrics.push_back(std::move(j));
      } else {
        ++series_dropped;
      }
    }
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : c.last_errors) errors.push_back(e.substr(0, 500));
    nlohmann::json inputs = nlohmann::json::array();
    for (const auto& i : c.inputs)
      inputs.push_back({{"from", i.from}, {"stream", i.stream}, {"executed", i.executed}});
    components[c.id] = {{"kind", c.kind},
                        {"executors", c.executors},
                        {"tasks", c.tasks},
                        {"emitted", c.emitted},
                        {"transferred", c.transferred},
                        {"executed", c.executed},
                        {"acked", c.acked},
                        {"failed", c.failed},
                        {"execute_latency_ms", c.execute_latency_ms},
                        {"process_latency_ms", c.process_latency_ms},
                        {"complete_latency_ms", c.complete_latency_ms},
                        {"complete_latency_buckets", c.complete_latency_buckets},
                        {"execute_total_ns", c.execute_total_ns},
                        {"execute_samples", c.execute_samples},
                        {"process_total_ns", c.process_total_ns},
                        {"process_samples", c.process_samples},
                        {"complete_total_ns", c.complete_total_ns},
                        {"complete_samples", c.complete_samples},
                        {"capacity", c.capacity},
                        {"error_count", c.error_count},
                        {"last_errors", errors},
                        {"alive_ns", c.alive_ns},
                        {"idle_ns", c.idle_ns},
                        {"backpressured_ns", c.backpressured_ns},
                        {"metrics", metrics},
                        {"inputs", inputs}};
  }
  nlohmann::json out{{"components", components},
                     {"rejected_batches", stats.rejected_batches},
                     {"uptime_secs", stats.uptime_secs},
                     {"started_ms", stats.started_unix_ms}};
  if (series_dropped > 0) out["metrics_dropped"] = series_dropped;
  if (!stats.checkpoints.empty() || stats.checkpoints_abandoned > 0) {
    nlohmann::json recent = nlohmann::json::array();
    for (const auto& c : stats.checkpoints)
      recent.push_back({{"id", c.id},
                        {"triggered_ms", c.triggered_ms},
                        {"duration_ms", c.duration_ms},
                        {"bytes", c.bytes},
                        {"parts", c.parts}});
    out["checkpoints"] = {{"recent", recent}, {"abandoned", stats.checkpoints_abandoned}};
  }
  return out;
}

// What this worker runs under one assignment.
struct Plan {
  coord::Assignment assignment;
  std::unique_ptr<runtime::Layout> layout;
  std::vector<int> local;                                // executors in this slot
  std::vector<std::string> peers;                        // by executor: peer id, "" when local
  std::map<std::string, transport::Endpoint> endpoints;  // peer id -> endpoint
};

class Worker {
 public:
  Worker(const WorkerOptions& o, coord::ClusterState& state, runtime::LoadedTopology& topo,
         Config topo_conf, BlobSync& blobs, transport::ZmqOptions transport_options)
      : o_(o),
        state_(state),
        topo_(topo),
        topo_conf_(std::move(topo_conf)),
        blobs_(blobs),
        me_(peer_id(o.host, o.port)),
        transport_(std::move(transport_options)) {}

  int run(const std::atomic<bool>& stop);

 private:
  std::optional<Plan> plan(const coord::Assignment& a);
  void connect_peers(const Plan& p);
  // True when the heartbeat was written. `runtime`: null before it starts.
  bool beat(const runtime::Runtime* runtime);
  // Stateful topologies: whether another process of this slot already ran `epoch` (this one
  // replaces a worker that died), from this slot's last heartbeat. Then it asks Nimbus for a
  // new epoch, in which every worker restores the last complete checkpoint, and waits for it;
  // false when the assignment changed (re-plan), true when asked to stop.
  bool restarted_in(std::uint64_t epoch);
  bool await_recovery(const coord::Assignment& current, const std::atomic<bool>& stop,
                      const std::function<void()>& pause);
  // Stateful topologies take input only once every worker of the assignment runs its epoch:
  // tuples sent to a worker still in the previous one are refused, and a checkpoint after
  // them would hold a spout position past tuples its state never saw.
  bool all_on_epoch(const coord::Assignment& a);
  // The topology's assignment, none if it has none, or the store's error (ZooKeeper is
  // unreachable): then the worker keeps doing what it does and asks again a round later.
  Result<std::optional<coord::Assignment>> read_assignment();
  // The settings changed while the topology runs (the record's, `gale set`), when their version
  // is not the one `runtime` runs with: the log level here, the rest by the runtime.
  void apply_settings(runtime::Runtime& runtime, const coord::TopologyRecord& record);

  const WorkerOptions& o_;
  coord::ClusterState& state_;
  runtime::LoadedTopology& topo_;
  Config topo_conf_;
  BlobSync& blobs_;
  std::string me_;
  transport::ZmqTransport transport_;
  std::map<std::string, transport::Endpoint> connected_;
  std::int64_t started_ = unix_now();
  // This process among all that ever run this slot (heartbeats carry it).
  const std::string instance_ = std::to_string(std::random_device{}()) + "-" +
                                std::to_string(std::random_device{}()) + "-" +
                                std::to_string(started_);
  std::uint64_t epoch_ = 0;          // the assignment epoch running (in heartbeats)
  std::uint64_t recover_epoch_ = 0;  // asked to be replaced, 0: no request
  // The settings version the running runtime applied (heartbeats carry it); none before.
  std::optional<std::uint64_t> settings_version_;
  const spdlog::level::level_enum started_level_ = spdlog::get_level();
};

void Worker::apply_settings(runtime::Runtime& runtime, const coord::TopologyRecord& record) {
  if (settings_version_ == record.settings_version) return;
  // The level set while running, else the config's, else the one it started with; a name
  // spdlog does not know (from_str gives "off" for it) is not taken.
  std::string wanted;
  if (auto set = record.settings.find(conf::kTopologyLogLevel); set != record.settings.end())
    wanted = set->second;
  else if (auto configured = record.config.find(conf::kTopologyLogLevel);
           configured != record.config.end())
    wanted = configured->second;
  auto level = spdlog::level::from_str(wanted);
  spdlog::set_level(
      wanted.empty() || (level == spdlog::level::off && wanted != "off") ? started_level_ : level);
  runtime.apply_settings(record.settings);
  if (settings_version_)
    spdlog::info("{}: settings version {} applied ({} changed)", me_, record.settings_version,
                 record.settings.size());
  settings_version_ = record.settings_version;
}

std::optional<Plan> Worker::plan(const coord::Assignment& a) {
  Plan p;
  p.assignment = a;
  // Task ids depend only on the topology; executors as the assignment splits them.
  runtime::Layout plain(o_.topology_id, topo_.topology, topo_conf_);
  std::map<std::string, int, std::less<>> executors;
  for (const auto& e : a.executors) {
    if (e.first_task < 1 || e.first_task > plain.task_count())
      throw std::runtime_error("assignment names unknown task " + std::to_string(e.first_task));
    ++executors[plain.component(plain.component_of_task(e.first_task)).id];
  }
  executors.erase(runtime::kAckerComponent);  // system components: their executors are fixed
  executors.erase(kCheckpointComponent);
  p.layout =
      std::make_unique<runtime::Layout>(o_.topology_id, topo_.topology, topo_conf_, executors);
  const auto& execs = p.layout->executors();
  p.peers.resize(execs.size());
  for (std::size_t e = 0; e < execs.size(); ++e) {
    auto it = a.task_slots.find(execs[e].tasks.front());
    if (it == a.task_slots.end())
      throw std::runtime_error("assignment has no slot for task " +
                               std::to_string(execs[e].tasks.front()));
    std::string id = peer_id(it->second.host, it->second.port);
    if (id == me_ && it->second.supervisor_id == o_.supervisor_id) {
      p.local.push_back(static_cast<int>(e));
    } else {
      p.peers[e] = id;
      p.endpoints[id] = {it->second.host, static_cast<std::uint16_t>(it->second.port)};
    }
  }
  if (p.local.empty()) return std::nullopt;
  return p;
}

void Worker::connect_peers(const Plan& p) {
  for (auto it = connected_.begin(); it != connected_.end();) {
    if (p.endpoints.count(it->first)) {
      ++it;
    } else {
      transport_.disconnect(it->first);
      it = connected_.erase(it);
    }
  }
  for (const auto& [id, endpoint] : p.endpoints) {
    if (connected_.count(id)) continue;
    if (auto s = transport_.connect(id, endpoint); !s) throw std::runtime_error(s.error().message);
    connected_[id] = endpoint;
  }
}

Result<std::optional<coord::Assignment>> Worker::read_assignment() {
  return state_.assignment(o_.topology_id);
}

bool Worker::beat(const runtime::Runtime* runtime) {
  coord::WorkerHeartbeat hb;
  hb.topology_id = o_.topology_id;
  hb.host = o_.host;
  hb.port = o_.port;
  hb.time_secs = unix_now();
  hb.uptime_secs = hb.time_secs - started_;
  hb.epoch = epoch_;
  hb.instance = instance_;
  hb.recover_epoch = recover_epoch_;
  if (runtime) hb.stats = stats_json(runtime->stats());
  if (settings_version_) hb.stats["settings_version"] = *settings_version_;
  hb.stats["refused_peers"] = transport_.refused_peers();  // handshakes without the topology's key
  if (auto s = state_.write_heartbeat(hb); !s.ok()) {
    spdlog::warn("heartbeat: {}", s.error().message);
    return false;
  }
  return true;
}

bool Worker::all_on_epoch(const coord::Assignment& a) {
  auto beats = state_.heartbeats(o_.topology_id);
  if (!beats.ok()) return false;
  for (const auto& [task, slot] : a.task_slots) {
    bool on = std::any_of(beats->begin(), beats->end(), [&](const coord::WorkerHeartbeat& b) {
      return b.host == slot.host && b.port == slot.port && b.epoch == a.epoch;
    });
    if (!on) return false;
  }
  return true;
}

bool Worker::restarted_in(std::uint64_t epoch) {
  auto beats = state_.heartbeats(o_.topology_id);
  if (!beats.ok())
    throw std::runtime_error("cannot read the heartbeats of " + o_.topology_id + ": " +
                             beats.error().message);
  for (const auto& b : *beats)
    if (b.host == o_.host && b.port == o_.port)
      return b.epoch == epoch && !b.instance.empty() && b.instance != instance_;
  return false;
}

bool Worker::await_recovery(const coord::Assignment& current, const std::atomic<bool>& stop,
                            const std::function<void()>& pause) {
  spdlog::warn(
      "{}: another process ran this slot's tasks of {} in assignment epoch {} and is gone; "
      "asking Nimbus for a new epoch, in which every worker restores the last checkpoint",
      me_, o_.topology_id, current.epoch);
  recover_epoch_ = current.epoch;
  while (!stop.load()) {
    beat(nullptr);
    pause();
    auto next = read_assignment();
    if (next && (!*next || !(**next == current))) return false;
  }
  return true;
}

int Worker::run(const std::atomic<bool>& stop) {
  auto bound = transport_.bind({o_.host, static_cast<std::uint16_t>(o_.port)});
  if (!bound) {
    spdlog::error("{}", bound.error().message);
    return 1;
  }
  auto beat_every = std::chrono::seconds(o_.conf.get_int(conf::kWorkerHeartbeatFrequencySecs));
  // The fence (docs/CLUSTER.md, "Several hosts, partitions and the fence"). Nimbus may give this
  // worker's tasks to another once it has seen no new heartbeat for nimbus.task.timeout.secs,
  // counted from no earlier than the beat began. So the spouts take input only under a lease:
  // until that timeout less two beats after the start of the last round that read the topology
  // and its assignment (unchanged) and wrote a heartbeat. A watchdog thread enforces the lease
  // whatever the ZooKeeper calls of a round block on (and at once after a SIGSTOP): the worker
  // stops taking input before Nimbus can move its tasks, and takes input again only once it
  // knows they are still its own. In-flight trees finish or time out.
  const auto task_timeout = std::chrono::seconds(o_.conf.get_int(conf::kNimbusTaskTimeoutSecs));
  const auto fence_after =
      std::max<std::chrono::seconds>(beat_every, task_timeout - 2 * beat_every);
  if (task_timeout < 3 * beat_every)
    spdlog::warn(
        "{} ({} s) is under three heartbeats ({} s each): the fence cannot come before "
        "Nimbus moves this worker's tasks",
        conf::kNimbusTaskTimeoutSecs, task_timeout.count(), beat_every.count());
  using Steady = std::chrono::steady_clock;
  std::atomic<Steady::rep> lease_until{0};  // Steady ticks; kept across re-plans
  std::atomic<bool> wanted_active{false};   // the topology's status, as last read
  auto pause = [&] {
    for (auto t = Steady::now() + beat_every; Steady::now() < t && !stop.load();)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  while (!stop.load()) {
    auto assignment = read_assignment();
    if (!assignment) {
      spdlog::warn("cannot read the assignment of {}, trying again: {}", o_.topology_id,
                   assignment.error().message);
      pause();
      continue;
    }
    auto p = *assignment ? plan(**assignment) : std::nullopt;
    if (!p) {
      spdlog::info("slot {} is no longer assigned to {}: exiting", me_, o_.topology_id);
      return 0;
    }
    if (p->layout->checkpointing()) {
      // Claimed before any task runs: a process that replaces this one finds the claim.
      if (restarted_in(p->assignment.epoch)) {
        if (await_recovery(p->assignment, stop, pause)) break;
        continue;
      }
      epoch_ = p->assignment.epoch;
      recover_epoch_ = 0;
      // Not active until a round has seen every worker on this epoch (all_on_epoch).
      wanted_active.store(false);
      if (!beat(nullptr)) {
        pause();
        continue;
      }
    }
    epoch_ = p->assignment.epoch;
    connect_peers(*p);
    runtime::Runtime runtime(*p->layout, SystemClock::shared(),
                             {p->local, &transport_, p->peers, p->assignment.epoch});
    settings_version_.reset();  // a new runtime runs with the config's
    if (auto record = state_.topology(o_.topology_id); record.ok() && *record)
      apply_settings(runtime, **record);
    runtime.start();
    spdlog::info("running {} executors of {} in {}", p->local.size(), o_.topology_id, me_);
    // The only caller of set_active while the runtime runs.
    std::jthread watchdog([&](std::stop_token watching) {
      bool active = false, fenced = false;
      while (!watching.stop_requested()) {
        const bool leased = Steady::now().time_since_epoch().count() < lease_until.load();
        if (const bool want = wanted_active.load() && leased; want != active)
          runtime.set_active(active = want);
        if (fenced != (!leased && wanted_active.load())) {
          fenced = !fenced;
          if (fenced)
            spdlog::warn(
                "{}: no heartbeat and assignment confirmed for {} s; its tasks may be "
                "given to another worker, so it takes no new input until they are",
                me_, fence_after.count());
          else
            spdlog::info("{}: heartbeat and assignment confirmed: it takes input again", me_);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    // Each round: the topology's status, the assignment (a change: re-plan, before any beat
    // for a slot that may be gone), the heartbeat, the blobs.
    while (!stop.load()) {
      const auto began = Steady::now();
      auto record = state_.topology(o_.topology_id);
      auto next = read_assignment();
      if (next && (!*next || !(**next == p->assignment))) break;  // in-flight tuples replay
      if (!next)
        spdlog::warn("cannot read the assignment of {}, keeping the current one: {}",
                     o_.topology_id, next.error().message);
      if (runtime.recovery_requested()) recover_epoch_ = p->assignment.epoch;  // Nimbus replans
      if (beat(&runtime) && next && record.ok())
        lease_until.store((began + fence_after).time_since_epoch().count());
      // After the lease: a worker starting (or back) is not taken for a fenced one.
      if (record.ok() && *record) apply_settings(runtime, **record);
      if (record.ok() && *record)
        wanted_active.store((*record)->status == coord::TopologyStatus::active &&
                            (!p->layout->checkpointing() || all_on_epoch(p->assignment)));
      if (auto synced = blobs_.sync(); !synced) spdlog::warn("{}", synced.error().message);
      pause();
    }
    watchdog.request_stop();
    watchdog.join();
    runtime.set_active(false);
    runtime.stop();
  }
  return 0;
}

}  // namespace

int run_worker(const WorkerOptions& o, const std::atomic<bool>& stop) {
  auto zk = coord::ZooKeeperOptions::from(o.conf);
  auto store = coord::ZooKeeperStore::connect(zk);
  if (!store.ok()) {
    spdlog::error("ZooKeeper {}: {}", zk.connect_string, store.error().message);
    return 1;
  }
  coord::ClusterState state(**store);
  try {
    auto record = state.topology(o.topology_id);
    if (!record.ok()) throw std::runtime_error(record.error().message);
    if (!*record) {
      spdlog::info("topology {} is gone: exiting", o.topology_id);
      return 0;
    }
    Config topo_conf;
    for (const auto& [k, v] : (*record)->config) {
      if (auto r = topo_conf.set(k, std::string_view(v)); !r) throw std::runtime_error(r.message);
    }
    // The blobs are on disk before any component opens.
    BlobSync blobs(state, o.topology_id,
                   std::filesystem::absolute(o.conf.get_string(conf::kStormLocalDir)) / "blobs" /
                       (o.topology_id + "-" + std::to_string(o.port)));
    if (auto synced = blobs.sync(); !synced) throw std::runtime_error(synced.error().message);
    topo_conf.set(conf::kTopologyBlobsDir, blobs.dir().string());
    auto loaded = runtime::load_topology(o.artifact, topo_conf);
    if (!loaded) throw std::runtime_error(loaded.error().message);
    // The topology's key pair, if Nimbus made one: then only its workers reach each other.
    transport::ZmqOptions transport_options;
    auto credentials = state.credentials(o.topology_id);
    if (!credentials.ok()) throw std::runtime_error(credentials.error().message);
    if (*credentials)
      transport_options.curve =
          transport::CurveKeys{(*credentials)->curve_public, (*credentials)->curve_secret};
    Worker w(o, state, loaded.value(), topo_conf, blobs, std::move(transport_options));
    return w.run(stop);
  } catch (const std::exception& e) {
    spdlog::error("worker {} {}:{}: {}", o.topology_id, o.host, o.port, e.what());
    return 1;
  }
}

}  // namespace gale::worker
