#include "worker_pool.h"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace gale::supervisor {
namespace {

// A worker living shorter than this "keeps dying" and is restarted with a backoff.
constexpr std::chrono::seconds kQuickDeath{1};

UniqueFd make_eventfd() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) throw std::runtime_error("eventfd failed");
  return fd;
}

}  // namespace

LaunchSpec WorkerCommand::spec(int port, const WorkerAssignment& assignment) const {
  LaunchSpec spec;
  spec.argv = {worker_bin.string(),
               "run",
               "--topology-id",
               assignment.topology_id,
               "--supervisor-id",
               supervisor_id,
               "--host",
               host,
               "--port",
               std::to_string(port),
               "--artifact",
               assignment.artifact.string()};
  for (const auto& setting : settings) spec.argv.insert(spec.argv.end(), {"-c", setting});
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("GALE_TOKEN=") || entry.starts_with(kZooKeeperAuthVariable + "="))
      continue;
    env.emplace_back(entry);
  }
  const std::string& identity =
      assignment.zookeeper_auth.empty() ? cluster_zookeeper_auth : assignment.zookeeper_auth;
  if (!identity.empty()) env.push_back(kZooKeeperAuthVariable + "=" + identity);
  spec.env = std::move(env);
  if (user) {
    spec.user = user;
    spec.owned_dirs = {blobs_dir / (assignment.topology_id + "-" + std::to_string(port))};
  }
  spec.log_path = log_dir / (assignment.topology_id + "-" + std::to_string(port) + ".log");
  return spec;
}

WorkerPool::WorkerPool(ProcessLauncher& launcher, WorkerCommand command,
                       std::chrono::milliseconds kill_grace, ExitListener on_exit)
    : launcher_(launcher),
      command_(std::move(command)),
      kill_grace_(kill_grace),
      on_exit_(std::move(on_exit)),
      wake_fd_(make_eventfd()),
      thread_([this] { run(); }) {}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::set_desired(DesiredWorkers desired) {
  {
    std::lock_guard lock(mutex_);
    desired_ = std::move(desired);
  }
  wake();
}

std::map<int, pid_t> WorkerPool::running() const {
  std::lock_guard lock(mutex_);
  return pids_;
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
}

std::chrono::milliseconds WorkerPool::restart_backoff(int quick_deaths) {
  if (quick_deaths <= 1) return std::chrono::milliseconds(0);
  const int doublings = std::min(quick_deaths - 2, 4);
  return std::min(std::chrono::milliseconds(500 << doublings), std::chrono::milliseconds(5000));
}

void WorkerPool::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_.get(), &one, sizeof one);
}

void WorkerPool::run() {
  DesiredWorkers desired;
  for (;;) {
    for (const auto& exit : reap_exited()) {
      if (on_exit_) on_exit_(exit);
    }
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      desired = stopping_ ? DesiredWorkers{} : desired_;
      stopping = stopping_;
    }
    reconcile(desired);
    publish_pids();
    const bool idle = std::none_of(slots_.begin(), slots_.end(), [](const auto& entry) {
      return entry.second.process != nullptr;
    });
    if (stopping && idle) return;
    wait_for_events(desired);
  }
}

void WorkerPool::wait_for_events(const DesiredWorkers& desired) {
  std::vector<pollfd> fds{{wake_fd_.get(), POLLIN, 0}};
  for (const auto& [port, slot] : slots_) {
    if (slot.process) fds.push_back({slot.process->exit_fd(), POLLIN, 0});
  }
  int timeout_ms = -1;
  if (auto deadline = next_deadline(desired)) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
    timeout_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
  }
  ::poll(fds.data(), fds.size(), timeout_ms);
  std::uint64_t drained = 0;
  [[maybe_unused]] auto read = ::read(wake_fd_.get(), &drained, sizeof drained);
}

std::optional<WorkerPool::Clock::time_point> WorkerPool::next_deadline(
    const DesiredWorkers& desired) const {
  std::optional<Clock::time_point> next;
  auto consider = [&next](Clock::time_point t) { next = next ? std::min(*next, t) : t; };
  for (const auto& [port, slot] : slots_) {
    if (slot.process && slot.kill_at && !slot.killed) consider(*slot.kill_at);
    if (!slot.process && desired.contains(port)) consider(slot.earliest_start);
  }
  return next;
}

std::vector<WorkerExit> WorkerPool::reap_exited() {
  std::vector<WorkerExit> exits;
  const auto now = Clock::now();
  for (auto& [port, slot] : slots_) {
    if (!slot.process) continue;
    const auto status = slot.process->try_reap();
    if (!status) continue;
    slot.quick_deaths = now - slot.started < kQuickDeath ? slot.quick_deaths + 1 : 0;
    slot.earliest_start = now + restart_backoff(slot.quick_deaths);
    spdlog::info("worker {} of {} on port {} ended: {}", slot.process->pid(),
                 slot.assignment.topology_id, port, describe_wait_status(*status));
    slot.process.reset();
    exits.push_back({port, slot.assignment.topology_id, *status});
  }
  return exits;
}

void WorkerPool::reconcile(const DesiredWorkers& desired) {
  for (auto& [port, slot] : slots_) {
    if (!slot.process) continue;
    const auto wanted = desired.find(port);
    if (wanted == desired.end() || wanted->second != slot.assignment) terminate(port, slot);
  }
  const auto now = Clock::now();
  for (const auto& [port, wanted] : desired) {
    Slot& slot = slots_[port];
    if (slot.process) continue;  // still running, or still being terminated
    if (slot.assignment != wanted) {
      slot.quick_deaths = 0;  // a new assignment starts without the old one's backoff
      slot.earliest_start = now;
    }
    if (now >= slot.earliest_start) start(port, slot, wanted);
  }
}

void WorkerPool::start(int port, Slot& slot, const WorkerAssignment& wanted) {
  slot.assignment = wanted;
  slot.started = Clock::now();
  slot.kill_at.reset();
  slot.killed = false;
  auto launched = launcher_.launch(command_.spec(port, wanted));
  if (!launched) {  // counts as a quick death, so retries back off
    ++slot.quick_deaths;
    slot.earliest_start =
        slot.started + std::max(restart_backoff(slot.quick_deaths), std::chrono::milliseconds(500));
    spdlog::error("cannot start worker of {} on port {}: {}", wanted.topology_id, port,
                  launched.error().message);
    return;
  }
  slot.process = std::move(launched).value();
  spdlog::info("started worker {} of {} on port {}", slot.process->pid(), wanted.topology_id, port);
}

void WorkerPool::terminate(int port, Slot& slot) {
  const auto now = Clock::now();
  if (!slot.kill_at) {
    spdlog::info("stopping worker {} of {} on port {}", slot.process->pid(),
                 slot.assignment.topology_id, port);
    slot.process->send_signal(SIGTERM);
    slot.kill_at = now + kill_grace_;
  } else if (!slot.killed && now >= *slot.kill_at) {
    spdlog::warn("worker {} on port {} ignored SIGTERM for {} ms: SIGKILL", slot.process->pid(),
                 port, kill_grace_.count());
    slot.process->send_signal(SIGKILL);
    slot.killed = true;
  }
}

void WorkerPool::publish_pids() {
  std::map<int, pid_t> pids;
  for (const auto& [port, slot] : slots_) {
    if (slot.process) pids[port] = slot.process->pid();
  }
  std::lock_guard lock(mutex_);
  pids_ = std::move(pids);
}

}  // namespace gale::supervisor
