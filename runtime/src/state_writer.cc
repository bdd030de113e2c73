#include "state_writer.h"

#include "gale/common/logging.h"

namespace gale::runtime {

StateWriter::StateWriter(std::shared_ptr<state::StateBackend> backend, std::string topology)
    : backend_(std::move(backend)), topology_(std::move(topology)), thread_([this] { run(); }) {}

StateWriter::~StateWriter() {
  stop();
}

void StateWriter::submit(int task, CheckpointId id, std::string bytes, bool full) {
  {
    std::lock_guard lock(mutex_);
    if (stop_) return;
    jobs_.push_back({task, id, std::move(bytes), full});
  }
  wake_.notify_one();
}

bool StateWriter::failed(int task) {
  std::lock_guard lock(mutex_);
  return failed_.count(task) != 0;
}

void StateWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void StateWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    if (!job.full && failed_.count(job.task)) continue;  // would link to a part not stored
    lock.unlock();
    auto s = backend_->write_part(topology_, job.id, job.task, std::move(job.bytes));
    if (!s.ok())
      spdlog::warn("{}: task {}'s part of checkpoint {} not stored: {}", topology_, job.task,
                   job.id, s.error().message);
    lock.lock();
    if (!s.ok())
      failed_.insert(job.task);
    else if (job.full)
      failed_.erase(job.task);
  }
}

}  // namespace gale::runtime
