#pragma once
// The cluster-mode transport: ZeroMQ over tcp. The receiving endpoint is one bound PULL socket
// (fair-queued across senders); each peer is one connected PUSH socket with a bounded send queue
// (ZMQ_SNDHWM) and ZMQ_IMMEDIATE, so nothing is queued for a peer that is not connected.
// ZeroMQ reconnects a PUSH socket whose peer went away; heartbeats detect a peer whose machine
// vanished without closing the connection. See transport.h for the contract.
//
// With ZmqOptions::curve set, every connection is encrypted and authenticated with ZeroMQ's
// CURVE (a topology's workers share one key pair, docs/SECURITY.md): the receiving socket is a
// CURVE server that admits, through a ZAP handler of this transport, only clients that prove
// they hold the same key pair; peers connect as CURVE clients with it. A peer without the key
// cannot complete a handshake, so it delivers nothing; each refused handshake is counted
// (refused_peers()). CURVE's per-message nonces make a captured message useless to replay.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "gale/transport/transport.h"

namespace gale::transport {

// A CURVE key pair, each key as ZeroMQ's Z85 text (40 characters).
struct CurveKeys {
  std::string public_key;
  std::string secret_key;
  bool operator==(const CurveKeys&) const = default;
};
// A fresh key pair (zmq_curve_keypair). Throws std::runtime_error if this libzmq has no CURVE.
CurveKeys make_curve_keys();

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
  // Set: CURVE on every connection, with this key pair on both sides (see above).
  std::optional<CurveKeys> curve;
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

  // Handshakes refused because the peer did not hold the key pair (CURVE only).
  std::uint64_t refused_peers() const { return refused_peers_->load(std::memory_order_relaxed); }

 private:
  struct Peer;
  void start_authenticator();

  std::shared_ptr<Peer> find_peer(std::string_view peer_id) const;

  const ZmqOptions options_;
  zmq::context_t context_;
  std::atomic<bool> closed_{false};
  mutable std::shared_mutex peers_mutex_;  // guards the map; each Peer guards its socket
  detail::PeerMap<std::shared_ptr<Peer>> peers_;
  std::optional<zmq::socket_t> receiver_;  // set by bind(); used by the receiving thread only
  std::shared_ptr<std::atomic<std::uint64_t>> refused_peers_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::thread authenticator_;  // the ZAP handler (CURVE only); ends when the context shuts down
};

}  // namespace gale::transport
