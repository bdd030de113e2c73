#include "gale/transport/inproc_transport.h"

#include <condition_variable>
#include <deque>
#include <map>

namespace gale::transport {
namespace {

enum class Outcome { ok, timed_out, cancelled, gone };

std::string address_text(const std::string& host, std::uint16_t port) {
  return host + ":" + std::to_string(port);
}

}  // namespace

// One bound endpoint: a bounded FIFO of messages. Thread-safe. Every wait also ends when the
// waiter's `cancelled` flag (its transport's close()) is set and wake() runs.
struct InprocNetwork::Mailbox {
  explicit Mailbox(std::size_t capacity) : capacity(capacity) {}

  // Takes `message` unless the queue stays full until the deadline or the receiver is gone.
  Outcome push(std::vector<std::uint8_t>& message, Deadline deadline,
               const std::atomic<bool>& cancelled) {
    std::unique_lock lock(mutex);
    const bool woken = not_full.wait_until(
        lock, deadline, [&] { return gone || cancelled.load() || queue.size() < capacity; });
    if (gone) return Outcome::gone;
    if (cancelled.load()) return Outcome::cancelled;
    if (!woken) return Outcome::timed_out;
    queue.push_back(std::move(message));
    not_empty.notify_one();
    return Outcome::ok;
  }

  std::optional<std::vector<std::uint8_t>> pop(Deadline deadline,
                                               const std::atomic<bool>& cancelled) {
    std::unique_lock lock(mutex);
    not_empty.wait_until(lock, deadline, [&] { return cancelled.load() || !queue.empty(); });
    if (cancelled.load() || queue.empty()) return std::nullopt;
    std::vector<std::uint8_t> message = std::move(queue.front());
    queue.pop_front();
    not_full.notify_one();
    return message;
  }

  // The receiver went away: drop what it did not read; senders re-resolve the endpoint.
  void close() {
    std::lock_guard lock(mutex);
    gone = true;
    queue.clear();
    not_full.notify_all();
  }

  void wake() {
    std::lock_guard lock(mutex);
    not_full.notify_all();
    not_empty.notify_all();
  }

  const std::size_t capacity;
  std::mutex mutex;
  std::condition_variable not_full;
  std::condition_variable not_empty;
  std::deque<std::vector<std::uint8_t>> queue;
  bool gone = false;
};

// Address -> bound mailbox. Lock order: the registry's mutex before a mailbox's.
class InprocNetwork::Registry {
 public:
  Result<std::uint16_t> bind(const Endpoint& endpoint, std::shared_ptr<Mailbox> mailbox) {
    std::lock_guard lock(mutex_);
    const std::uint16_t port = endpoint.port != 0 ? endpoint.port : free_port(endpoint.host);
    const std::string address = address_text(endpoint.host, port);
    if (port == 0 || !endpoints_.try_emplace(address, std::move(mailbox)).second) {
      return make_error(TransportErrc::bind_failed,
                        "cannot bind inproc " + address + ": address in use");
    }
    bound_.notify_all();
    return port;
  }

  void unbind(const std::string& address) {
    std::lock_guard lock(mutex_);
    endpoints_.erase(address);
  }

  // The mailbox bound at `address`, waiting for a bind until the deadline; null on timeout or
  // cancellation.
  std::shared_ptr<Mailbox> await(const std::string& address, Deadline deadline,
                                 const std::atomic<bool>& cancelled) {
    std::unique_lock lock(mutex_);
    std::shared_ptr<Mailbox> found;
    bound_.wait_until(lock, deadline, [&] {
      auto it = endpoints_.find(address);
      if (it != endpoints_.end()) found = it->second;
      return found != nullptr || cancelled.load();
    });
    return cancelled.load() ? nullptr : found;
  }

  // Makes every wait re-check its cancellation flag.
  void wake_all() {
    std::lock_guard lock(mutex_);
    bound_.notify_all();
    for (auto& [address, mailbox] : endpoints_) mailbox->wake();
  }

 private:
  // 0 when every port of `host` is taken. Called with mutex_ held.
  std::uint16_t free_port(const std::string& host) {
    for (int tries = 0; tries < 65535; ++tries) {
      const std::uint16_t port = next_port_;
      next_port_ = next_port_ == 65535 ? 1 : next_port_ + 1;
      if (!endpoints_.contains(address_text(host, port))) return port;
    }
    return 0;
  }

  std::mutex mutex_;
  std::condition_variable bound_;
  std::map<std::string, std::shared_ptr<Mailbox>, std::less<>> endpoints_;
  std::uint16_t next_port_ = 1;
};

std::shared_ptr<InprocNetwork> InprocNetwork::create(std::size_t queue_capacity) {
  return std::shared_ptr<InprocNetwork>(new InprocNetwork(queue_capacity));
}

InprocNetwork::InprocNetwork(std::size_t queue_capacity)
    : queue_capacity_(queue_capacity), registry_(std::make_unique<Registry>()) {}

InprocNetwork::~InprocNetwork() = default;

InprocTransport::InprocTransport(std::shared_ptr<InprocNetwork> network)
    : network_(std::move(network)) {}

InprocTransport::~InprocTransport() {
  close();
  if (!mailbox_) return;
  network_->registry_->unbind(bound_address_);  // first, so senders cannot find it again
  mailbox_->close();
}

Result<std::uint16_t> InprocTransport::bind(const Endpoint& endpoint) {
  if (mailbox_)
    return make_error(TransportErrc::bind_failed,
                      "cannot bind inproc " + endpoint.host + ": already bound");
  auto mailbox = std::make_shared<InprocNetwork::Mailbox>(network_->queue_capacity_);
  auto result = network_->registry_->bind(endpoint, mailbox);
  if (result) {
    mailbox_ = std::move(mailbox);
    bound_address_ = address_text(endpoint.host, *result);
  }
  return result;
}

Status InprocTransport::connect(const std::string& peer_id, const Endpoint& endpoint) {
  std::lock_guard lock(peers_mutex_);
  if (!peers_.try_emplace(peer_id, address_text(endpoint.host, endpoint.port)).second) {
    return make_error(TransportErrc::already_connected,
                      "peer " + peer_id + " is already connected");
  }
  return {};
}

bool InprocTransport::disconnect(std::string_view peer_id) {
  std::lock_guard lock(peers_mutex_);
  auto it = peers_.find(peer_id);
  if (it == peers_.end()) return false;
  peers_.erase(it);
  return true;
}

std::optional<std::string> InprocTransport::address_of(std::string_view peer_id) const {
  std::lock_guard lock(peers_mutex_);
  auto it = peers_.find(peer_id);
  if (it == peers_.end()) return std::nullopt;
  return it->second;
}

SendResult InprocTransport::send(std::string_view peer_id, std::span<const std::uint8_t> bytes,
                                 Deadline deadline) {
  if (closed_.load()) return SendResult::closed;
  const std::optional<std::string> address = address_of(peer_id);
  if (!address) return SendResult::unknown_peer;
  std::vector<std::uint8_t> message(bytes.begin(), bytes.end());
  for (;;) {
    const auto mailbox = network_->registry_->await(*address, deadline, closed_);
    if (!mailbox) return closed_.load() ? SendResult::closed : SendResult::timed_out;
    switch (mailbox->push(message, deadline, closed_)) {
      case Outcome::ok:
        return SendResult::ok;
      case Outcome::timed_out:
        return SendResult::timed_out;
      case Outcome::cancelled:
        return SendResult::closed;
      case Outcome::gone:
        break;  // the peer restarted or stopped: look its endpoint up again
    }
  }
}

std::optional<Message> InprocTransport::receive(Deadline deadline) {
  if (!mailbox_ || closed_.load()) return std::nullopt;
  std::optional<std::vector<std::uint8_t>> message = mailbox_->pop(deadline, closed_);
  if (!message) return std::nullopt;
  return Message(std::move(*message));
}

void InprocTransport::close() {
  if (closed_.exchange(true)) return;
  network_->registry_->wake_all();
}

}  // namespace gale::transport
