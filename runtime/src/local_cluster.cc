#include "gale/runtime/local_cluster.h"

#include <thread>

#include "gale/common/logging.h"
#include "gale/runtime/layout.h"
#include "gale/runtime/runtime.h"

namespace gale::runtime {

LocalCluster::LocalCluster(std::string name, Topology topology, Config config,
                           std::shared_ptr<Clock> clock)
    : topology_(std::move(topology)), clock_(std::move(clock)) {
  config.set(conf::kTopologyName, name);
  layout_ = std::make_unique<Layout>(std::move(name), topology_, config);
  runtime_ = std::make_unique<Runtime>(*layout_, clock_);
}

LocalCluster::~LocalCluster() {
  stop();
}

void LocalCluster::start() {
  runtime_->start();
  {
    std::lock_guard lock(mutex_);
    active_ = true;
    runtime_->set_active(true);
  }
  if (layout_->checkpointing())
    watcher_ = std::jthread([this](std::stop_token stop) { watch_recoveries(stop); });
}

void LocalCluster::watch_recoveries(std::stop_token stop) {
  auto pause = std::chrono::milliseconds(20);
  while (!stop.stop_requested()) {
    std::this_thread::sleep_for(pause);
    pause = std::chrono::milliseconds(20);
    std::lock_guard lock(mutex_);
    if (stop.stop_requested() || !runtime_->recovery_requested()) continue;
    // In-flight tuples are dropped with the old runtime: the spouts rewind to the checkpoint.
    runtime_->stop();
    runtime_.reset();
    runtime_ = std::make_unique<Runtime>(*layout_, clock_);
    runtime_->apply_settings(settings_);
    try {
      runtime_->start();
    } catch (const std::exception& e) {
      // The state backend unreachable, a checkpoint that cannot be restored: the runtime stays
      // stopped, asking for a recovery, and the next try comes a second later.
      spdlog::error("{}: restart from the last checkpoint failed, trying again in a second: {}",
                    layout_->topology_name(), e.what());
      runtime_->stop();
      runtime_->request_recovery("the restart failed");
      pause = std::chrono::seconds(1);
      continue;
    }
    runtime_->set_active(active_);
    ++recoveries_;
  }
}

int LocalCluster::recoveries() const {
  std::lock_guard lock(mutex_);
  return recoveries_;
}

void LocalCluster::activate() {
  std::lock_guard lock(mutex_);
  active_ = true;
  runtime_->set_active(true);
}
void LocalCluster::deactivate() {
  std::lock_guard lock(mutex_);
  active_ = false;
  runtime_->set_active(false);
}

namespace {

// Several true observations in a row: an executor between taking a batch and publishing that
// it is busy looks idle for an instant.
template <typename Pred>
bool wait_steady(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int quiet = 0; quiet < 3;) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    quiet = pred() ? quiet + 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace

bool LocalCluster::drain(std::chrono::milliseconds timeout) {
  deactivate();
  return wait_steady(
      [&] {
        std::lock_guard lock(mutex_);
        return runtime_->quiescent();
      },
      timeout);
}

bool LocalCluster::wait_idle(std::chrono::milliseconds timeout) {
  return wait_steady(
      [&] {
        std::lock_guard lock(mutex_);
        return runtime_->idle();
      },
      timeout);
}

void LocalCluster::stop() {
  if (watcher_.joinable()) {
    watcher_.request_stop();
    watcher_.join();
  }
  std::lock_guard lock(mutex_);
  if (runtime_) runtime_->stop();
}

void LocalCluster::apply_settings(const std::map<std::string, std::string>& changed) {
  std::lock_guard lock(mutex_);
  settings_ = changed;
  runtime_->apply_settings(changed);
}

TopologyStats LocalCluster::stats() const {
  std::lock_guard lock(mutex_);
  return runtime_->stats();
}

}  // namespace gale::runtime
