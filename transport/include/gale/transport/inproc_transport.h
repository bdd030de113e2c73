#pragma once
// The in-process transport, for tests and local mode: endpoints are bounded queues in an
// InprocNetwork, addressed by host and port like tcp ones. It keeps the ZeroMQ transport's
// semantics (transport.h): a full queue or an unbound endpoint makes send() wait up to its
// deadline; a transport bound again on the same endpoint after the previous one was destroyed
// (a "restarted peer") receives what is sent next, without the senders doing anything.
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "gale/transport/transport.h"

namespace gale::transport {

// The endpoints that a set of InprocTransports reach each other through. Thread-safe; shared by
// its transports (each keeps it alive).
class InprocNetwork {
 public:
  // `queue_capacity`: messages an endpoint holds before senders wait (ZeroMQ's high-water mark).
  static std::shared_ptr<InprocNetwork> create(std::size_t queue_capacity = 1024);
  ~InprocNetwork();

 private:
  friend class InprocTransport;
  struct Mailbox;
  class Registry;

  explicit InprocNetwork(std::size_t queue_capacity);

  const std::size_t queue_capacity_;
  const std::unique_ptr<Registry> registry_;
};

class InprocTransport final : public Transport {
 public:
  explicit InprocTransport(std::shared_ptr<InprocNetwork> network);
  ~InprocTransport() override;  // unbinds; messages still queued here are dropped
  InprocTransport(const InprocTransport&) = delete;
  InprocTransport& operator=(const InprocTransport&) = delete;

  Result<std::uint16_t> bind(const Endpoint& endpoint) override;
  Status connect(const std::string& peer_id, const Endpoint& endpoint) override;
  bool disconnect(std::string_view peer_id) override;
  SendResult send(std::string_view peer_id, std::span<const std::uint8_t> bytes,
                  Deadline deadline) override;
  std::optional<Message> receive(Deadline deadline) override;
  void close() override;

 private:
  std::optional<std::string> address_of(std::string_view peer_id) const;

  const std::shared_ptr<InprocNetwork> network_;
  std::atomic<bool> closed_{false};
  mutable std::mutex peers_mutex_;
  detail::PeerMap<std::string> peers_;  // peer id -> address
  // Set by bind(), then read-only until the destructor.
  std::shared_ptr<InprocNetwork::Mailbox> mailbox_;
  std::string bound_address_;
};

}  // namespace gale::transport
