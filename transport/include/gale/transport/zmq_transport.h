#pragma once
// The cluster-mode transport: ZeroMQ over tcp. The receiving endpoint is one bound PULL socket
// (fair-queued across senders); each peer is one connected PUSH socket with a bounded send queue
// (ZMQ_SNDHWM) and ZMQ_IMMEDIATE, so nothing is queued for a peer that is not connected.
// ZeroMQ reconnects a PUSH socket whose peer went away; heartbeats detect a peer whose machine
// vanished without closing the connection. See transport.h for the contract.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <zmq.hpp>

#include "gale/transport/transport.h"

namespace gale::transport {

struct ZmqOptions {
  int io_threads = 1;
  // Messages (batches) queued per peer before send() waits, on each side of the connection.
  int send_high_water_mark = 1000;
  int receive_high_water_mark = 1000;
  std::chrono::milliseconds reconnect_interval{100};
  std::chrono::milliseconds reconnect_interval_max{1000};
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{5000};
  // A peer sending a larger message is disconnected (it cannot be a valid batch).
  std::int64_t max_message_bytes = std::int64_t{64} << 20;
};

class ZmqTransport final : public Transport {
 public:
  explicit ZmqTransport(ZmqOptions options = {});
  ~ZmqTransport() override;
  ZmqTransport(const ZmqTransport&) = delete;
  ZmqTransport& operator=(const ZmqTransport&) = delete;

  Result<std::uint16_t> bind(const Endpoint& endpoint) override;
  Status connect(const std::string& peer_id, const Endpoint& endpoint) override;
  bool disconnect(std::string_view peer_id) override;
  SendResult send(std::string_view peer_id, std::span<const std::uint8_t> bytes,
                  Deadline deadline) override;
  std::optional<Message> receive(Deadline deadline) override;
  void close() override;

 private:
  struct Peer;

  std::shared_ptr<Peer> find_peer(std::string_view peer_id) const;

  const ZmqOptions options_;
  zmq::context_t context_;
  std::atomic<bool> closed_{false};
  mutable std::shared_mutex peers_mutex_;  // guards the map; each Peer guards its socket
  detail::PeerMap<std::shared_ptr<Peer>> peers_;
  std::optional<zmq::socket_t> receiver_;  // set by bind(); used by the receiving thread only
};

}  // namespace gale::transport
