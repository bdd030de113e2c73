#pragma once
// CallbackThread: one thread that runs posted callbacks in FIFO order. Each store owns one and
// delivers every user callback (watches, session events) on it, so a callback never runs on a
// ZooKeeper client thread or under a store lock, and may call back into the store.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace gale::coordination {

class CallbackThread {
 public:
  CallbackThread();
  // Runs the callbacks already posted, then joins. Must not be called from the thread itself.
  ~CallbackThread();
  CallbackThread(const CallbackThread&) = delete;
  CallbackThread& operator=(const CallbackThread&) = delete;

  // Thread-safe, never blocks on the callbacks. Exceptions escaping a callback are logged
  // and swallowed.
  void post(std::function<void()> callback);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace gale::coordination
