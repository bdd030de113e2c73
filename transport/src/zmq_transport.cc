#include "gale/transport/zmq_transport.h"

#include <array>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace gale::transport {
namespace {

enum class Wait { ready, timed_out, closed };

// A received ZeroMQ message, kept as it arrived.
class ZmqPayload final : public Message::Payload {
 public:
  explicit ZmqPayload(zmq::message_t m) : m_(std::move(m)) {}
  std::span<const std::uint8_t> bytes() const override {
    return {static_cast<const std::uint8_t*>(m_.data()), m_.size()};
  }
  std::string sender() const override {
    const char* address = zmq_msg_gets(m_.handle(), "Peer-Address");
    return address ? address : "";
  }

 private:
  zmq::message_t m_;
};

std::string tcp_address(const std::string& host, std::string_view port) {
  return "tcp://" + host + ":" + std::string(port);
}

// Repeats the non-blocking `attempt` (true: done; false: would block) until it succeeds, waiting
// for `events` on the socket in between, until the deadline passes or the context shuts down.
// Always makes at least one attempt.
template <typename Attempt>
Wait retry_until(zmq::socket_t& socket, short events, Deadline deadline, Attempt attempt) {
  for (;;) {
    try {
      if (attempt()) return Wait::ready;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return Wait::timed_out;
      zmq::pollitem_t item{socket.handle(), 0, events, 0};
      zmq::poll(&item, 1, left);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return Wait::closed;
      if (e.num() != EINTR) throw;
    }
  }
}

std::uint16_t port_of(const std::string& endpoint) {
  return static_cast<std::uint16_t>(std::stoul(endpoint.substr(endpoint.rfind(':') + 1)));
}

// The ZAP endpoint libzmq asks about every handshake on a socket with a ZAP domain (RFC 27).
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kZapDomain = "gale";

// Answers ZAP requests on `socket` until the context shuts down: 200 for a CURVE client whose
// public key is `allowed` (binary, 32 bytes), 400 for anything else (counted in `refused`).
void authenticate(zmq::socket_t socket, std::string allowed,
                  std::shared_ptr<std::atomic<std::uint64_t>> refused) {
  for (;;) {
    std::vector<zmq::message_t> request;
    try {
      for (bool more = true; more;) {
        zmq::message_t frame;
        if (!socket.recv(frame)) break;
        more = frame.more();
        request.push_back(std::move(frame));
      }
      // version, request id, domain, address, identity, mechanism, credentials...
      const bool admitted = request.size() >= 7 && request[5].to_string_view() == "CURVE" &&
                            request[6].to_string_view() == allowed;
      if (!admitted) refused->fetch_add(1, std::memory_order_relaxed);
      const std::string id = request.size() > 1 ? request[1].to_string() : std::string();
      socket.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
      socket.send(zmq::buffer(id), zmq::send_flags::sndmore);
      socket.send(zmq::buffer(std::string(admitted ? "200" : "400")), zmq::send_flags::sndmore);
      socket.send(zmq::buffer(std::string(admitted ? "OK" : "not the topology's key")),
                  zmq::send_flags::sndmore);
      socket.send(zmq::str_buffer(""), zmq::send_flags::sndmore);  // user id
      socket.send(zmq::str_buffer(""), zmq::send_flags::none);     // metadata
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      if (e.num() != EINTR) throw;
    }
  }
}

}  // namespace

CurveKeys make_curve_keys() {
  char public_key[41];
  char secret_key[41];
  if (zmq_curve_keypair(public_key, secret_key) != 0)
    throw std::runtime_error(std::string("cannot make a CURVE key pair: ") +
                             zmq_strerror(zmq_errno()));
  return CurveKeys{public_key, secret_key};
}

// A connected peer: one PUSH socket, used by one sending thread at a time.
struct ZmqTransport::Peer {
  std::mutex mutex;
  std::optional<zmq::socket_t> socket;  // reset by disconnect() and the destructor
};

ZmqTransport::ZmqTransport(ZmqOptions options) : options_(options), context_(options.io_threads) {
  if (options_.curve) start_authenticator();
}

void ZmqTransport::start_authenticator() {
  std::array<std::uint8_t, 32> key{};
  if (options_.curve->public_key.size() != 40 || options_.curve->secret_key.size() != 40 ||
      zmq_z85_decode(key.data(), options_.curve->public_key.c_str()) == nullptr)
    throw std::invalid_argument("a CURVE key is not 40 characters of Z85");
  zmq::socket_t socket(context_, zmq::socket_type::rep);
  socket.set(zmq::sockopt::linger, 0);
  socket.bind(kZapEndpoint);  // before any CURVE server socket of this context binds
  authenticator_ = std::thread(authenticate, std::move(socket),
                               std::string(reinterpret_cast<const char*>(key.data()), key.size()),
                               refused_peers_);
}

ZmqTransport::~ZmqTransport() {
  close();
  if (authenticator_.joinable()) authenticator_.join();
  for (auto& [id, peer] : peers_) peer->socket.reset();
  receiver_.reset();
  // context_ terminates last: all its sockets are closed (ZMQ_LINGER 0), so it does not wait.
}

Result<std::uint16_t> ZmqTransport::bind(const Endpoint& endpoint) {
  const std::string address =
      tcp_address(endpoint.host, endpoint.port == 0 ? "*" : std::to_string(endpoint.port));
  if (receiver_)
    return make_error(TransportErrc::bind_failed, "cannot bind " + address + ": already bound");
  try {
    zmq::socket_t socket(context_, zmq::socket_type::pull);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvhwm, options_.receive_high_water_mark);
    socket.set(zmq::sockopt::maxmsgsize, options_.max_message_bytes);
    if (options_.curve) {
      socket.set(zmq::sockopt::curve_server, true);
      socket.set(zmq::sockopt::curve_secretkey, options_.curve->secret_key);
      socket.set(zmq::sockopt::zap_domain, kZapDomain);
    }
    socket.bind(address);
    const std::uint16_t port = port_of(socket.get(zmq::sockopt::last_endpoint));
    receiver_.emplace(std::move(socket));
    return port;
  } catch (const zmq::error_t& e) {
    return make_error(TransportErrc::bind_failed, "cannot bind " + address + ": " + e.what());
  }
}

Status ZmqTransport::connect(const std::string& peer_id, const Endpoint& endpoint) {
  const std::string address = tcp_address(endpoint.host, std::to_string(endpoint.port));
  auto peer = std::make_shared<Peer>();
  try {
    zmq::socket_t& socket = peer->socket.emplace(context_, zmq::socket_type::push);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::immediate, true);
    socket.set(zmq::sockopt::sndhwm, options_.send_high_water_mark);
    socket.set(zmq::sockopt::reconnect_ivl, static_cast<int>(options_.reconnect_interval.count()));
    socket.set(zmq::sockopt::reconnect_ivl_max,
               static_cast<int>(options_.reconnect_interval_max.count()));
    socket.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(options_.heartbeat_interval.count()));
    socket.set(zmq::sockopt::heartbeat_timeout,
               static_cast<int>(options_.heartbeat_timeout.count()));
    if (options_.curve) {
      socket.set(zmq::sockopt::curve_serverkey, options_.curve->public_key);
      socket.set(zmq::sockopt::curve_publickey, options_.curve->public_key);
      socket.set(zmq::sockopt::curve_secretkey, options_.curve->secret_key);
    }
    socket.connect(address);
  } catch (const zmq::error_t& e) {
    return make_error(TransportErrc::connect_failed,
                      "cannot connect peer " + peer_id + " to " + address + ": " + e.what());
  }
  std::unique_lock lock(peers_mutex_);
  if (!peers_.try_emplace(peer_id, std::move(peer)).second) {
    return make_error(TransportErrc::already_connected,
                      "peer " + peer_id + " is already connected");
  }
  return {};
}

bool ZmqTransport::disconnect(std::string_view peer_id) {
  std::shared_ptr<Peer> peer;
  {
    std::unique_lock lock(peers_mutex_);
    auto it = peers_.find(peer_id);
    if (it == peers_.end()) return false;
    peer = std::move(it->second);
    peers_.erase(it);
  }
  std::lock_guard lock(peer->mutex);  // waits for a send in progress
  peer->socket.reset();
  return true;
}

std::shared_ptr<ZmqTransport::Peer> ZmqTransport::find_peer(std::string_view peer_id) const {
  std::shared_lock lock(peers_mutex_);
  auto it = peers_.find(peer_id);
  return it == peers_.end() ? nullptr : it->second;
}

SendResult ZmqTransport::send(std::string_view peer_id, std::span<const std::uint8_t> bytes,
                              Deadline deadline) {
  if (closed_.load(std::memory_order_acquire)) return SendResult::closed;
  const std::shared_ptr<Peer> peer = find_peer(peer_id);
  if (!peer) return SendResult::unknown_peer;
  std::lock_guard lock(peer->mutex);
  if (!peer->socket) return SendResult::unknown_peer;  // disconnected meanwhile
  zmq::socket_t& socket = *peer->socket;
  zmq::message_t message(bytes.data(), bytes.size());
  switch (retry_until(socket, ZMQ_POLLOUT, deadline, [&] {
    return socket.send(message, zmq::send_flags::dontwait).has_value();
  })) {
    case Wait::ready:
      return SendResult::ok;
    case Wait::timed_out:
      return SendResult::timed_out;
    case Wait::closed:
      break;
  }
  return SendResult::closed;
}

std::optional<Message> ZmqTransport::receive(Deadline deadline) {
  if (!receiver_ || closed_.load(std::memory_order_acquire)) return std::nullopt;
  zmq::message_t message;
  const Wait w = retry_until(*receiver_, ZMQ_POLLIN, deadline, [&] {
    return receiver_->recv(message, zmq::recv_flags::dontwait).has_value();
  });
  if (w != Wait::ready) return std::nullopt;
  return Message(std::make_unique<ZmqPayload>(std::move(message)));
}

void ZmqTransport::close() {
  if (closed_.exchange(true)) return;
  context_.shutdown();  // blocking calls on any socket of the context return ETERM
}

}  // namespace gale::transport
