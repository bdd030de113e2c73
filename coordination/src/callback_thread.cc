#include "callback_thread.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace gale::coordination {

CallbackThread::CallbackThread() : thread_([this] { run(); }) {}

CallbackThread::~CallbackThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void CallbackThread::post(std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(callback));
  }
  wake_.notify_one();
}

void CallbackThread::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    auto callback = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      callback();
    } catch (const std::exception& e) {
      spdlog::error("coordination callback threw: {}", e.what());
    }
    lock.lock();
  }
}

}  // namespace gale::coordination
