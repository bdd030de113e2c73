#include "gale/runtime/runtime.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "bolt_stage.h"
#include "executor.h"
#include "gale/common/logging.h"
#include "gale/state/backend.h"
#include "gale/state/savepoint.h"
#include "metric_registry.h"
#include "spout_executor.h"
#include "state_writer.h"
#include "transport_bridge.h"

namespace gale::runtime {

std::unique_ptr<Executor> make_bolt_executor(Runtime& runtime, int index, std::vector<int> chained);
std::unique_ptr<Executor> make_acker_executor(Runtime& runtime, int index,
                                              std::vector<int> chained);
std::unique_ptr<Executor> make_checkpoint_executor(Runtime& runtime, int index);

namespace {

// The changeable keys' values in the topology's config: LiveSettings's starting point.
std::map<std::string, std::string, std::less<>> initial_settings(const Layout& layout) {
  std::map<std::string, std::string, std::less<>> out;
  for (const auto& key : layout.changeable())
    if (layout.config().contains(key)) out[key] = layout.config().get(key).to_string();
  return out;
}

// The CPUs this process may run on (its affinity mask: taskset, cgroup cpusets), at least 1.
std::size_t available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

RuntimeSettings RuntimeSettings::from(const Config& conf) {
  RuntimeSettings s{};
  s.batch_size = static_cast<std::size_t>(conf.get_int(conf::kTopologyProducerBatchSize));
  auto buffer = static_cast<std::size_t>(conf.get_int(conf::kTopologyExecutorReceiveBufferSize));
  s.inbox_batches = std::max<std::size_t>(2, (buffer + s.batch_size - 1) / s.batch_size);
  s.flush_interval_ns = conf.get_int(conf::kTopologyBatchFlushIntervalMillis) * kNanosPerMilli;
  s.timeout_ns = conf.get_bool(conf::kTopologyEnableMessageTimeouts)
                     ? conf.get_int(conf::kTopologyMessageTimeoutSecs) * kNanosPerSecond
                     : 0;
  double rate = conf.get_double(conf::kTopologyStatsSampleRate);
  s.sample_every = rate > 0 ? std::max(1, static_cast<int>(std::lround(1.0 / rate))) : 0;
  s.spout_park_us = conf.get_int(conf::kTopologySpoutWaitParkMicrosec);
  s.spout_park_max_us =
      std::max(s.spout_park_us, conf.get_int(conf::kTopologySpoutWaitParkMaxMicrosec));
  s.bolt_park_us = conf.get_int(conf::kTopologyBoltWaitParkMicrosec);
  s.wait_spins =
      static_cast<int>(std::min<std::int64_t>(conf.get_int(conf::kTopologyWaitSpinCount), 1 << 20));
  s.wait_yields = static_cast<int>(
      std::min<std::int64_t>(conf.get_int(conf::kTopologyWaitYieldCount), 1 << 20));
  return s;
}

std::unique_ptr<Executor> make_executor(Runtime& runtime, int index, std::vector<int> chained) {
  const auto& info = runtime.layout().executors()[static_cast<std::size_t>(index)];
  switch (runtime.layout().component(info.component).kind) {
    case ComponentInfo::Kind::spout:
      return std::make_unique<SpoutExecutor>(runtime, index, std::move(chained));
    case ComponentInfo::Kind::bolt:
      return make_bolt_executor(runtime, index, std::move(chained));
    case ComponentInfo::Kind::acker:
      return make_acker_executor(runtime, index, std::move(chained));
    case ComponentInfo::Kind::checkpoint:
      return make_checkpoint_executor(runtime, index);
  }
  return nullptr;
}

Runtime::Runtime(const Layout& layout, std::shared_ptr<Clock> clock, Placement placement)
    : layout_(layout),
      clock_(std::move(clock)),
      settings_(RuntimeSettings::from(layout.config())),
      epoch_(placement.epoch),
      cluster_(placement.transport != nullptr),
      live_settings_(initial_settings(layout)) {
  apply_debug(layout_.config(), -1);
  std::size_t n = layout_.executors().size();
  auto max_series =
      static_cast<std::size_t>(layout_.config().get_int(conf::kTopologyMetricsMaxSeries));
  for (std::size_t c = 0; c < layout_.components().size(); ++c)
    metric_registries_.push_back(std::make_unique<MetricRegistry>(max_series));
  local_.assign(n, placement.local_executors.empty());
  for (int e : placement.local_executors) local_.at(static_cast<std::size_t>(e)) = true;
  const bool remote = std::find(local_.begin(), local_.end(), false) != local_.end();
  if (remote) {
    if (!placement.transport)
      throw std::invalid_argument("executors run in other workers but no transport is set");
    if (placement.peers.size() != n)
      throw std::invalid_argument("the placement names " + std::to_string(placement.peers.size()) +
                                  " peers for " + std::to_string(n) + " executors");
  }
  // Output for another worker's executors goes out in one batch (one message) per worker,
  // keyed by the first executor that worker runs.
  std::vector<int> outbound_executor(n);
  std::map<std::string, int, std::less<>> first_of_peer;
  for (std::size_t e = 0; e < n; ++e)
    outbound_executor[e] =
        local_[e]
            ? static_cast<int>(e)
            : first_of_peer.try_emplace(placement.peers[e], static_cast<int>(e)).first->second;
  outbound_.assign(static_cast<std::size_t>(layout_.task_count()) + 1, -1);
  for (int task = 1; task <= layout_.task_count(); ++task)
    outbound_[static_cast<std::size_t>(task)] =
        outbound_executor[static_cast<std::size_t>(layout_.executor_of_task(task))];
  if (remote)
    bridge_ = std::make_unique<TransportBridge>(*this, *placement.transport,
                                                std::move(placement.peers), placement.epoch);
  for (std::size_t e = 0; e < n; ++e) {
    if (!local_[e]) continue;
    const auto& tasks = layout_.executors()[e].tasks;
    worker_tasks_.insert(worker_tasks_.end(), tasks.begin(), tasks.end());
  }
  std::sort(worker_tasks_.begin(), worker_tasks_.end());
  // Chaining: an executor runs in its chain parent's thread when that one runs here.
  host_.assign(n, -1);
  for (std::size_t e = 0; e < n; ++e) {
    if (!local_[e]) continue;
    int h = static_cast<int>(e);
    for (int p; (p = layout_.executors()[static_cast<std::size_t>(h)].chain_parent) >= 0 &&
                local_[static_cast<std::size_t>(p)];)
      h = p;
    host_[e] = h;
  }
}

bool Runtime::try_deliver(int dest, BatchPtr& batch) {
  if (is_local(dest)) {
    int host = host_of(dest);
    Executor& e = *executors_[static_cast<std::size_t>(host)];
    // Tuples for a bolt chained into a spout whose output is held back: refused as a full
    // queue would be, so that backpressure reaches their senders (the spout still drains acks).
    if (host != dest && batch->size > 0 && e.holds_output()) return false;
    return e.deliver(batch);
  }
  if (!bridge_->try_send(dest, *batch)) return false;
  BatchPool::release(std::move(batch));
  return true;
}

void Runtime::set_active(bool active) {
  active_.store(active, std::memory_order_release);
  for (auto& e : executors_)
    if (e && e->component().kind == ComponentInfo::Kind::spout) e->wake();
}

Runtime::~Runtime() {
  stop();
}

void Runtime::start() {
  started_ns_ = clock_->now_ns();
  started_unix_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  if (layout_.checkpointing()) {
    auto backend = state::make_backend(layout_.config(), cluster_);  // "auto": redis on a cluster
    if (!backend.ok()) throw std::runtime_error(backend.error().message);
    state_backend_ = std::move(*backend);
    // Before reading what to restore: no coordinator of an earlier epoch completes another
    // checkpoint from now on, so every worker of this epoch restores the same one.
    if (auto fenced = state_backend_->fence(layout_.topology_name(), epoch_); !fenced.ok())
      throw std::runtime_error("cannot fence the checkpoints of '" + layout_.topology_name() +
                               "': " + fenced.error().message);
    auto done = state_backend_->completed(layout_.topology_name());
    if (!done.ok())
      throw std::runtime_error("cannot read the last checkpoint of '" + layout_.topology_name() +
                               "': " + done.error().message);
    restored_ = done->empty() ? 0 : done->back().id;
    restore_from_ = layout_.topology_name();
    if (done->empty()) start_from_savepoint();
    state_writer_ = std::make_unique<StateWriter>(state_backend_, layout_.topology_name());
    if (restored_) spdlog::info("{}: restoring checkpoint {}", layout_.topology_name(), restored_);
  }
  int n = static_cast<int>(layout_.executors().size());
  // Every queue exists before any thread runs, so early emits have somewhere to go.
  // The executors chained into each host, each after its parent: by depth in the chain.
  auto depth = [&](int e) {
    int d = 0;
    for (; e != host_of(e); ++d) e = layout_.executors()[static_cast<std::size_t>(e)].chain_parent;
    return d;
  };
  std::vector<std::vector<int>> chained(static_cast<std::size_t>(n));
  for (int e = 0; e < n; ++e)
    if (host_of(e) >= 0 && host_of(e) != e)
      chained[static_cast<std::size_t>(host_of(e))].push_back(e);
  for (int i = 0; i < n; ++i) {
    auto& list = chained[static_cast<std::size_t>(i)];
    std::stable_sort(list.begin(), list.end(), [&](int a, int b) { return depth(a) < depth(b); });
    executors_.push_back(host_of(i) == i ? make_executor(*this, i, std::move(list)) : nullptr);
  }
  const std::vector<int>& cpus = layout_.worker_cpus();
  // In a worker with peers, input from them comes through the transport's receiving thread and
  // ZeroMQ's I/O thread. With more busy threads than CPUs, an executor spinning for that input
  // holds the CPU those threads need to deliver it: then no idle executor spins or yields (across
  // two workers on two CPUs, p99 0.85-1.5 ms with spinning bolts, 0.45-0.77 ms without).
  // Within one process executors hand work to each other directly, and spinning bolts pay.
  const auto executor_threads = static_cast<std::size_t>(std::count_if(
      executors_.begin(), executors_.end(), [](const auto& e) { return e != nullptr; }));
  const std::size_t busy_threads = executor_threads + (bridge_ ? 2 : 0);
  const std::size_t cores =
      cpus.empty() ? available_cpus() : std::set<int>(cpus.begin(), cpus.end()).size();
  if (bridge_ && busy_threads > cores) {
    settings_.wait_spins = 0;
    settings_.wait_yields = 0;
  }
  std::size_t threads = 0;
  try {
    for (auto& e : executors_) {
      if (!e) continue;
      e->start(cpus.empty() ? -1 : cpus[threads % cpus.size()]);
      ++threads;
    }
  } catch (...) {
    stop();
    throw;
  }
  // After the executors: a batch that a peer sent meanwhile must find them.
  if (bridge_) bridge_->start_receiving();
  if (busy_threads > cores)
    spdlog::info(
        "{}: {} busy threads on {} CPUs{} (chaining folds bolts into their input's thread; "
        "fewer executors keep threads from waiting for a CPU)",
        layout_.topology_name(), busy_threads, cores,
        bridge_ ? ", so idle executors sleep at once instead of spinning" : "");
}

bool Runtime::quiescent() const {
  return std::all_of(executors_.begin(), executors_.end(),
                     [](const auto& e) { return !e || (e->idle() && e->pending() == 0); });
}

bool Runtime::idle() const {
  return std::all_of(executors_.begin(), executors_.end(),
                     [](const auto& e) { return !e || e->idle(); });
}

void Runtime::stop() {
  if (bridge_) bridge_->stop_receiving();
  for (auto& e : executors_)
    if (e) e->request_stop();
  for (auto& e : executors_)
    if (e) e->join();
  if (state_writer_) state_writer_->stop();
}

void Runtime::request_recovery(const std::string& reason) {
  if (!recovery_.exchange(true))
    spdlog::warn("{}: going back to the last checkpoint: {}", layout_.topology_name(), reason);
}

void Runtime::start_from_savepoint() {
  const std::string name = layout_.config().get_string(conf::kTopologyStateSavepoint);
  if (name.empty()) return;
  auto savepoint = state::find_savepoint(*state_backend_, name);
  if (!savepoint.ok())
    throw std::runtime_error("cannot start from savepoint '" + name +
                             "': " + savepoint.error().message);
  std::map<int, std::string> tasks;
  for (int task = 1; task <= layout_.task_count(); ++task)
    tasks[task] = layout_.component(layout_.component_of_task(task)).id;
  if (auto fits = state::check_savepoint_tasks(*savepoint, tasks); !fits.ok())
    throw std::runtime_error(fits.error().message);
  restore_from_ = state::savepoint_namespace(name);
  restored_ = savepoint->checkpoint;
  for (const auto& [task, component] : savepoint->tasks) savepoint_tasks_.insert(task);
  spdlog::info("{}: starting from savepoint '{}' (checkpoint {} of {})", layout_.topology_name(),
               name, savepoint->checkpoint, savepoint->topology_id);
}

state::RestoredTask Runtime::restore(int task) const {
  const bool from_savepoint = restore_from_ != layout_.topology_name();
  // A component the savepoint's topology did not have starts empty.
  if (from_savepoint && !savepoint_tasks_.count(task)) return {};
  auto r = state::restore_task(*state_backend_, restore_from_, restored_, task,
                               layout_.component(layout_.component_of_task(task)).id);
  if (!r.ok())
    throw std::runtime_error("cannot restore task " + std::to_string(task) + " from checkpoint " +
                             std::to_string(restored_) + " of '" + restore_from_ +
                             "': " + r.error().message);
  if (from_savepoint) {
    // From a savepoint: the task's next part starts its own chain in this topology.
    r->checkpoint = 0;
    r->chain = 0;
  }
  return std::move(*r);
}

void Runtime::apply_debug(const Config& conf, int override_debug) {
  double rate = conf.get_double(conf::kTopologyDebugSampleRate);
  debug_every_.store(
      rate > 0 ? std::max<std::int64_t>(1, std::llround(std::min(1.0 / rate, 1e15))) : 0,
      std::memory_order_relaxed);
  debug_override_.store(override_debug, std::memory_order_relaxed);
}

void Runtime::apply_settings(const std::map<std::string, std::string>& changed) {
  Config debug;  // the topology's debug keys, with those set while running on top
  for (const char* key : {conf::kTopologyDebug, conf::kTopologyDebugSampleRate})
    if (layout_.config().contains(key)) debug.set_value(key, layout_.config().get(key));
  int override_debug = -1;
  std::map<std::string, std::string> own;
  for (const auto& [key, value] : changed) {
    if (key == conf::kTopologyDebug || key == conf::kTopologyDebugSampleRate) {
      if (auto set = debug.set(key, std::string_view(value)); !set) {
        spdlog::warn("{}: ignoring the setting: {}", layout_.topology_name(), set.message);
        continue;
      }
      if (key == conf::kTopologyDebug) override_debug = debug.get_bool(key) ? 1 : 0;
    } else if (std::find(layout_.changeable().begin(), layout_.changeable().end(), key) !=
               layout_.changeable().end()) {
      own[key] = value;
    }
  }
  apply_debug(debug, override_debug);
  live_settings_.replace(own);
}

bool Runtime::debug_emit(Stage& stage) const {
  int forced = debug_override_.load(std::memory_order_relaxed);
  if (forced < 0 ? !stage.debug : forced == 0) return false;
  std::int64_t every = debug_every_.load(std::memory_order_relaxed);
  if (every <= 0 || --stage.debug_countdown > 0) return false;
  stage.debug_countdown = every;
  return true;
}

MetricGroup& Runtime::metrics_of(int task) const {
  return metric_registries_.at(static_cast<std::size_t>(layout_.component_of_task(task)))
      ->group(task);
}

TopologyStats Runtime::stats() const {
  TopologyStats out;
  out.topology = layout_.topology_name();
  double uptime_ns = static_cast<double>(clock_->now_ns() - started_ns_);
  out.uptime_secs = uptime_ns / 1e9;
  out.started_unix_ms = started_unix_ms_;
  for (std::size_t c = 0; c < layout_.components().size(); ++c) {
    const ComponentInfo& info = layout_.components()[c];
    ComponentStats cs;
    cs.id = info.id;
    cs.kind = info.kind == ComponentInfo::Kind::spout   ? "spout"
              : info.kind == ComponentInfo::Kind::bolt  ? "bolt"
              : info.kind == ComponentInfo::Kind::acker ? "acker"
                                                        : "checkpoint";
    LatencyStat execute, process, complete;
    cs.complete_latency_buckets.assign(metrics::kLatencyBuckets, 0);
    // This process's share: executors elsewhere report in their own workers.
    for (const auto& e : executors_) {
      if (!e) continue;
      e->for_each_stage([&](const Stage& stage) {
        if (&stage.component != &info) return;
        cs.executors += 1;
        cs.tasks += static_cast<int>(stage.info.tasks.size());
        const ExecutorStats& s = stage.stats;
        cs.emitted += s.emitted.get();
        cs.transferred += s.transferred.get();
        cs.executed += s.executed.get();
        cs.acked += s.acked.get();
        cs.failed += s.failed.get();
        for (auto [from, to] :
             {std::pair{&s.execute, &execute}, {&s.process, &process}, {&s.complete, &complete}}) {
          to->total_ns.add(from->total_ns.get());
          to->samples.add(from->samples.get());
        }
        for (std::size_t b = 0; b < metrics::kLatencyBuckets; ++b)
          cs.complete_latency_buckets[b] += s.complete.buckets[b].get();
        s.inputs.read([&](const std::string& from, const std::string& stream, std::uint64_t n) {
          auto same = [&](const ComponentStats::Input& i) {
            return i.from == from && i.stream == stream;
          };
          if (auto it = std::find_if(cs.inputs.begin(), cs.inputs.end(), same);
              it != cs.inputs.end())
            it->executed += n;
          else
            cs.inputs.push_back({from, stream, n});
        });
        s.read_errors([&](std::uint64_t count, const auto& errors) {
          cs.error_count += count;
          cs.last_errors.insert(cs.last_errors.end(), errors.begin(), errors.end());
        });
        Executor::Time time = e->time();
        cs.alive_ns += time.alive_ns;
        cs.idle_ns += time.idle_ns;
        cs.backpressured_ns += time.backpressured_ns;
      });
    }
    metric_registries_[c]->collect(cs.metrics);
    for (auto& error : metric_registries_[c]->errors()) {
      cs.error_count += 1;
      cs.last_errors.push_back(std::move(error));
    }
    cs.execute_total_ns = execute.total_ns.get();
    cs.execute_samples = execute.samples.get();
    cs.process_total_ns = process.total_ns.get();
    cs.process_samples = process.samples.get();
    cs.complete_total_ns = complete.total_ns.get();
    cs.complete_samples = complete.samples.get();
    cs.execute_latency_ms = execute.mean_ms();
    cs.process_latency_ms = process.mean_ms();
    cs.complete_latency_ms = complete.mean_ms();
    // Storm's capacity: executed x mean execute latency over the elapsed time, per executor.
    if (uptime_ns > 0 && cs.executors > 0)
      cs.capacity =
          static_cast<double>(cs.executed) * cs.execute_latency_ms * 1e6 / uptime_ns / cs.executors;
    if (cs.last_errors.size() > 10)
      cs.last_errors.erase(cs.last_errors.begin(), cs.last_errors.end() - 10);
    out.components.push_back(std::move(cs));
  }
  if (bridge_) out.rejected_batches = bridge_->rejected();
  for (const auto& e : executors_)
    if (e) e->add_checkpoint_stats(out);
  return out;
}

}  // namespace gale::runtime
