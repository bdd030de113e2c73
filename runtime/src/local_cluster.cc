#include "gale/runtime/local_cluster.h"

#include <thread>

#include "gale/runtime/layout.h"
#include "gale/runtime/runtime.h"

namespace gale::runtime {

LocalCluster::LocalCluster(std::string name, Topology topology, Config config,
                           std::shared_ptr<Clock> clock)
    : topology_(std::move(topology)) {
  config.set(conf::kTopologyName, name);
  layout_ = std::make_unique<Layout>(std::move(name), topology_, config);
  runtime_ = std::make_unique<Runtime>(*layout_, std::move(clock));
}

LocalCluster::~LocalCluster() {
  stop();
}

void LocalCluster::start() {
  runtime_->start();
  runtime_->set_active(true);
}

void LocalCluster::activate() {
  runtime_->set_active(true);
}
void LocalCluster::deactivate() {
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
  return wait_steady([&] { return runtime_->quiescent(); }, timeout);
}

bool LocalCluster::wait_idle(std::chrono::milliseconds timeout) {
  return wait_steady([&] { return runtime_->idle(); }, timeout);
}

void LocalCluster::stop() {
  if (runtime_) runtime_->stop();
}

TopologyStats LocalCluster::stats() const {
  return runtime_->stats();
}

}  // namespace gale::runtime
