#pragma once
// Carries messages (encoded batches, see batch_codec.h) between worker processes.
//
// Each worker binds one receiving endpoint and connects to every peer worker it sends to,
// naming each peer with an id of its choosing. Two implementations: ZmqTransport (ZeroMQ over
// tcp, cluster mode) and InprocTransport (in-process queues, tests and local mode).
//
// Delivery, for every implementation:
// - Messages from one sender to one peer arrive in order, each at most once.
// - A full peer (its receiver not keeping up) makes send() WAIT, up to the caller's deadline;
//   a message is never dropped because a queue is full. On timed_out the message was not
//   taken: the caller still owns it and may retry (after checking for shutdown).
// - A peer that is not reachable (not started yet, restarting) also makes send() wait: nothing
//   is queued for it. A restarted peer on the same endpoint is reconnected automatically.
// - Messages already accepted for a peer that then dies are lost with it. At-least-once
//   processing does not depend on the transport: the acker's timeout replays those tuples.
//
// Threading (every implementation):
// - send(), connect(), disconnect() and close() may be called from any thread, concurrently.
//   Sends to different peers proceed in parallel; sends to one peer are serialised.
// - bind() once, before receive(); receive() from one thread at a time (the receiving thread).
// - The destructor must not run concurrently with any other call: call close(), join the
//   threads that use the transport, then destroy it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gale/common/result.h"
#include "gale/transport/errc.h"

namespace gale::transport {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline constexpr const char* kLoopbackHost = "127.0.0.1";

// Where a worker receives. Port 0 in bind(): any free port (bind() returns the one chosen).
struct Endpoint {
  std::string host = kLoopbackHost;
  std::uint16_t port = 0;
};

// One received message. Owns its bytes: each transport keeps them in the buffer they arrived
// in (for ZeroMQ, its message; no copy) behind Payload.
class Message {
 public:
  class Payload {
   public:
    virtual ~Payload() = default;
    virtual std::span<const std::uint8_t> bytes() const = 0;
    // Where it came from, for logs (for ZeroMQ over TCP, the sender's address); "" if unknown.
    virtual std::string sender() const { return {}; }
  };

  explicit Message(std::unique_ptr<Payload> payload) : payload_(std::move(payload)) {}
  explicit Message(std::vector<std::uint8_t> bytes);
  std::span<const std::uint8_t> bytes() const { return payload_->bytes(); }
  std::string sender() const { return payload_->sender(); }

 private:
  std::unique_ptr<Payload> payload_;
};

enum class SendResult {
  ok,            // accepted; will be delivered unless the peer dies first
  timed_out,     // the peer was full or unreachable until the deadline; the message was not sent
  unknown_peer,  // no connect() for this peer id
  closed,        // close() was called
};
const char* to_string(SendResult r);

class Transport {
 public:
  virtual ~Transport() = default;

  // Starts receiving on `endpoint`. Returns the port bound or an error (bind_failed) naming the
  // endpoint and the reason (e.g. address in use, already bound). Does not block.
  virtual Result<std::uint16_t> bind(const Endpoint& endpoint) = 0;

  // Declares a peer to send to. The peer need not be up: sends wait until it is. Fails if the
  // id is already connected (already_connected) or the endpoint is invalid (connect_failed).
  // Does not block.
  virtual Status connect(const std::string& peer_id, const Endpoint& endpoint) = 0;

  // Forgets a peer; messages not yet delivered to it are dropped. May wait for a send to that
  // peer in progress on another thread (at most until that send's deadline). Returns false for
  // an unknown id.
  virtual bool disconnect(std::string_view peer_id) = 0;

  // Sends one message, waiting up to `deadline` while the peer is full or unreachable. The bytes
  // are copied: the caller may reuse them as soon as send() returns.
  virtual SendResult send(std::string_view peer_id, std::span<const std::uint8_t> bytes,
                          Deadline deadline) = 0;

  // The next message from any peer, waiting up to `deadline`; nullopt on timeout, before
  // bind(), or after close().
  virtual std::optional<Message> receive(Deadline deadline) = 0;

  // Shuts down: blocked and later send() return closed, receive() returns nullopt. Idempotent.
  virtual void close() = 0;
};

namespace detail {
// Peer id -> V, looked up by string_view without building a string.
struct PeerIdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
};
template <typename V>
using PeerMap = std::unordered_map<std::string, V, PeerIdHash, std::equal_to<>>;
}  // namespace detail

}  // namespace gale::transport
