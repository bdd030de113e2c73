// The Transport contract, checked against both implementations: ZeroMQ over tcp on 127.0.0.1
// and the in-process one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <thread>

#include "batch_test_support.h"
#include "gale/transport/batch_codec.h"
#include "gale/transport/inproc_transport.h"
#include "gale/transport/zmq_transport.h"

namespace gale::transport {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

Deadline in(std::chrono::milliseconds d) {
  return Clock::now() + d;
}

// Payload of message `seq` from `sender`: a header of both, then a pattern of `size` bytes.
std::vector<std::uint8_t> payload(std::uint32_t sender, std::uint32_t seq, std::size_t size) {
  std::vector<std::uint8_t> out(8 + size);
  std::memcpy(out.data(), &sender, 4);
  std::memcpy(out.data() + 4, &seq, 4);
  for (std::size_t i = 0; i < size; ++i)
    out[8 + i] = static_cast<std::uint8_t>(sender * 31 + seq + i);
  return out;
}

std::pair<std::uint32_t, std::uint32_t> sender_and_seq(const Message& m) {
  std::uint32_t sender = 0;
  std::uint32_t seq = 0;
  std::memcpy(&sender, m.bytes().data(), 4);
  std::memcpy(&seq, m.bytes().data() + 4, 4);
  return {sender, seq};
}

// Makes the transports of one test; all of them reach each other.
struct Implementation {
  std::string name;
  std::function<std::function<std::unique_ptr<Transport>()>()> make_factory;
};

// Small queues so that a receiver that stops reading fills them quickly.
constexpr int kQueue = 8;

const Implementation kZmq{"zmq", [] {
                            return [] {
                              ZmqOptions options;
                              options.send_high_water_mark = kQueue;
                              options.receive_high_water_mark = kQueue;
                              options.reconnect_interval = 20ms;
                              options.reconnect_interval_max = 100ms;
                              return std::unique_ptr<Transport>(new ZmqTransport(options));
                            };
                          }};
// The same, with CURVE on every connection: the transports of one test share a key pair, as a
// topology's workers do.
const Implementation kZmqCurve{"zmq_curve", [] {
                                 auto keys = make_curve_keys();
                                 return [keys] {
                                   ZmqOptions options;
                                   options.send_high_water_mark = kQueue;
                                   options.receive_high_water_mark = kQueue;
                                   options.reconnect_interval = 20ms;
                                   options.reconnect_interval_max = 100ms;
                                   options.curve = keys;
                                   return std::unique_ptr<Transport>(new ZmqTransport(options));
                                 };
                               }};
const Implementation kInproc{"inproc", [] {
                               auto network = InprocNetwork::create(kQueue);
                               return [network] {
                                 return std::unique_ptr<Transport>(new InprocTransport(network));
                               };
                             }};

class TransportTest : public ::testing::TestWithParam<Implementation> {
 protected:
  std::unique_ptr<Transport> make() { return factory_(); }

  // A transport bound to a free port on 127.0.0.1.
  std::unique_ptr<Transport> bound(std::uint16_t& port, std::uint16_t wanted = 0) {
    auto t = make();
    auto result = t->bind({kLoopbackHost, wanted});
    if (!result) ADD_FAILURE() << result.error().message;
    port = result.value();
    return t;
  }

  std::unique_ptr<Transport> connected_to(std::uint16_t port, const std::string& peer = "peer") {
    auto t = make();
    const Status s = t->connect(peer, {kLoopbackHost, port});
    EXPECT_TRUE(s) << s.error().message;
    return t;
  }

 private:
  std::function<std::unique_ptr<Transport>()> factory_ = GetParam().make_factory();
};

TEST_P(TransportTest, MessagesArriveIntactAndInOrderPerSender) {
  std::uint16_t port = 0;
  auto receiver = bound(port);
  constexpr std::uint32_t kSenders = 2;
  constexpr std::uint32_t kMessages = 300;
  // The senders outlive the threads: destroying a transport drops what it has not sent yet.
  std::vector<std::unique_ptr<Transport>> senders;
  std::vector<std::jthread> threads;
  for (std::uint32_t s = 0; s < kSenders; ++s) {
    Transport& sender = *senders.emplace_back(connected_to(port));
    threads.emplace_back([&sender, s] {
      for (std::uint32_t i = 0; i < kMessages; ++i) {
        ASSERT_EQ(sender.send("peer", payload(s, i, i * 7 % 5000), in(10s)), SendResult::ok);
      }
    });
  }
  std::vector<std::uint32_t> next(kSenders, 0);
  for (std::uint32_t n = 0; n < kSenders * kMessages; ++n) {
    auto m = receiver->receive(in(10s));
    ASSERT_TRUE(m.has_value()) << "after " << n << " messages";
    const auto [s, seq] = sender_and_seq(*m);
    ASSERT_LT(s, kSenders);
    ASSERT_EQ(seq, next[s]++) << "sender " << s;
    const auto expected = payload(s, seq, seq * 7 % 5000);
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(), m->bytes().begin(), m->bytes().end()));
  }
  EXPECT_FALSE(receiver->receive(in(20ms)).has_value());
}

TEST_P(TransportTest, FullPeerMakesSendTimeOutAndLosesNothing) {
  std::uint16_t port = 0;
  auto receiver = bound(port);
  auto sender = connected_to(port);
  // Large messages fill ZeroMQ's queues and the kernel's socket buffers quickly.
  constexpr std::size_t kSize = 64 * 1024;
  std::uint32_t sent = 0;
  SendResult r = SendResult::ok;
  while (sent < 20000 &&
         (r = sender->send("peer", payload(0, sent, kSize), in(50ms))) == SendResult::ok) {
    ++sent;
  }
  ASSERT_EQ(r, SendResult::timed_out) << "the receiver never filled up";
  ASSERT_GT(sent, 0u);
  // Reading resumes: everything accepted arrives exactly once and in order; the message that
  // timed out was not sent, and goes through once it is sent again.
  for (std::uint32_t i = 0; i < sent; ++i) {
    auto m = receiver->receive(in(5s));
    ASSERT_TRUE(m.has_value()) << "lost message " << i << " of " << sent;
    ASSERT_EQ(sender_and_seq(*m).second, i);
    ASSERT_EQ(m->bytes().size(), 8 + kSize);
  }
  EXPECT_FALSE(receiver->receive(in(20ms)).has_value());
  ASSERT_EQ(sender->send("peer", payload(0, sent, kSize), in(5s)), SendResult::ok);
  auto m = receiver->receive(in(5s));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(sender_and_seq(*m).second, sent);
}

TEST_P(TransportTest, RestartedPeerOnTheSamePortIsReconnected) {
  std::uint16_t port = 0;
  auto receiver = bound(port);
  auto sender = connected_to(port);
  ASSERT_EQ(sender->send("peer", payload(0, 0, 10), in(5s)), SendResult::ok);
  ASSERT_TRUE(receiver->receive(in(5s)).has_value());

  receiver.reset();  // the peer process dies...
  std::uint16_t same_port = 0;
  receiver = bound(same_port, port);  // ...and a new one binds the same port
  ASSERT_EQ(same_port, port);

  // The sender does nothing but send: messages it sent while the peer was down or before it
  // reconnected may be lost (the acker replays those), the ones after arrive in order.
  std::uint32_t seq = 1;
  std::optional<Message> first;
  const Deadline give_up = in(10s);
  while (!first && Clock::now() < give_up) {
    const SendResult r = sender->send("peer", payload(0, seq++, 10), in(100ms));
    ASSERT_TRUE(r == SendResult::ok || r == SendResult::timed_out) << to_string(r);
    first = receiver->receive(in(20ms));
  }
  ASSERT_TRUE(first.has_value()) << "the sender never reached the restarted peer";
  // Probes sent before the first one that arrived may still come, in order; then nothing is
  // lost from the next message on.
  std::uint32_t last = sender_and_seq(*first).second;
  const std::uint32_t probes = seq;
  for (std::uint32_t i = 0; i < 100; ++i) {
    ASSERT_EQ(sender->send("peer", payload(0, seq++, 10), in(5s)), SendResult::ok);
    while (last + 1 < seq) {
      auto m = receiver->receive(in(5s));
      ASSERT_TRUE(m.has_value()) << "lost a message after the reconnection, last seen " << last;
      const std::uint32_t s = sender_and_seq(*m).second;
      ASSERT_TRUE(s == last + 1 || (s > last && s < probes)) << "gap: " << last << " -> " << s;
      last = s;
    }
  }
}

TEST_P(TransportTest, UnreachablePeerMakesSendWaitNotQueue) {
  std::uint16_t port = 0;
  bound(port).reset();  // a port with nothing listening any more
  auto sender = connected_to(port);
  EXPECT_EQ(sender->send("peer", payload(0, 0, 10), in(100ms)), SendResult::timed_out);
}

TEST_P(TransportTest, UnknownPeerDisconnectAndDuplicateConnect) {
  std::uint16_t port = 0;
  auto receiver = bound(port);
  auto sender = connected_to(port);
  EXPECT_EQ(sender->send("stranger", payload(0, 0, 1), in(10ms)), SendResult::unknown_peer);
  EXPECT_THAT(sender->connect("peer", {kLoopbackHost, port}).error().message,
              HasSubstr("already connected"));
  EXPECT_TRUE(sender->disconnect("peer"));
  EXPECT_FALSE(sender->disconnect("peer"));
  EXPECT_EQ(sender->send("peer", payload(0, 0, 1), in(10ms)), SendResult::unknown_peer);
}

TEST_P(TransportTest, BindRefusesASecondBindAndAPortInUse) {
  std::uint16_t port = 0;
  auto receiver = bound(port);
  auto again = receiver->bind({kLoopbackHost, 0});
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.error().message, HasSubstr("already bound"));
  auto other = make();
  auto taken = other->bind({kLoopbackHost, port});
  ASSERT_FALSE(taken.ok());
  EXPECT_THAT(taken.error().message, HasSubstr("in use"));
}

TEST_P(TransportTest, CloseWakesABlockedSendAndReceive) {
  std::uint16_t port = 0;
  bound(port).reset();
  auto sender = connected_to(port);
  std::uint16_t own_port = 0;
  auto receiver = bound(own_port);
  const auto start = Clock::now();
  SendResult r = SendResult::ok;
  std::optional<Message> m;
  std::jthread blocked_send([&] { r = sender->send("peer", payload(0, 0, 1), in(30s)); });
  std::jthread blocked_receive([&] { m = receiver->receive(in(30s)); });
  std::this_thread::sleep_for(50ms);  // let both block (either order gives the same outcome)
  sender->close();
  receiver->close();
  blocked_send.join();
  blocked_receive.join();
  EXPECT_EQ(r, SendResult::closed);
  EXPECT_FALSE(m.has_value());
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_EQ(sender->send("peer", payload(0, 0, 1), in(10ms)), SendResult::closed);
}

TEST_P(TransportTest, BatchesCrossIntactAndCorruptOnesAreRejected) {
  std::uint16_t port = 0;
  auto receiver = bound(port);
  auto sender = connected_to(port);
  const auto batch = testing::sample_batch();
  auto corrupt = batch;
  corrupt.resize(corrupt.size() - 3);
  ASSERT_EQ(sender->send("peer", batch, in(5s)), SendResult::ok);
  ASSERT_EQ(sender->send("peer", corrupt, in(5s)), SendResult::ok);
  BatchDecoder decoder;
  testing::RecordingVisitor good;
  auto m = receiver->receive(in(5s));
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(decoder.decode(m->bytes(), good));
  EXPECT_EQ(good.order, "tatat");
  testing::RecordingVisitor bad;
  m = receiver->receive(in(5s));
  ASSERT_TRUE(m.has_value());
  EXPECT_THAT(decoder.decode(m->bytes(), bad).error().message, HasSubstr("truncated batch"));
}

INSTANTIATE_TEST_SUITE_P(Implementations, TransportTest,
                         ::testing::Values(kZmq, kZmqCurve, kInproc),
                         [](const auto& info) { return info.param.name; });

TEST(ZmqTransportTest, BindReportsTheChosenPort) {
  ZmqTransport t;
  auto result = t.bind({kLoopbackHost, 0});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_NE(result.value(), 0);
  EXPECT_FALSE(t.receive(in(1ms)).has_value());
}

TEST(ZmqTransportTest, InvalidEndpointIsRefused) {
  ZmqTransport t;
  EXPECT_THAT(t.connect("p", {"not a host!", 1}).error().message,
              HasSubstr("cannot connect peer p"));
  auto result = t.bind({"300.1.1.1", 0});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("cannot bind tcp://300.1.1.1:*"));
}

ZmqOptions curve_options(const std::optional<CurveKeys>& keys) {
  ZmqOptions options;
  options.reconnect_interval = 20ms;
  options.reconnect_interval_max = 100ms;
  options.curve = keys;
  return options;
}

// A peer without the topology's key pair — none at all, or its own with the server's public
// key — cannot complete a handshake: nothing it sends arrives, and the refusal is counted. The
// holder of the key pair, connected at the same time, is delivered.
TEST(ZmqTransportTest, WithCurveOnlyAHolderOfTheKeyPairDelivers) {
  const CurveKeys topology = make_curve_keys();
  ZmqTransport receiver(curve_options(topology));
  auto port = receiver.bind({kLoopbackHost, 0});
  ASSERT_TRUE(port.ok()) << port.error().message;

  const std::vector<std::uint8_t> forged{'f', 'o', 'r', 'g', 'e', 'd'};
  ZmqTransport plain(curve_options(std::nullopt));
  ASSERT_TRUE(plain.connect("victim", {kLoopbackHost, *port}));
  EXPECT_EQ(plain.send("victim", forged, in(300ms)), SendResult::timed_out);
  // An impostor that knows the server's public key (it travels in no message, but public keys
  // are not meant to be secret) and brings a key pair of its own: refused by the ZAP handler.
  const CurveKeys own = make_curve_keys();
  zmq::context_t context;
  zmq::socket_t impostor(context, zmq::socket_type::push);
  impostor.set(zmq::sockopt::linger, 0);
  impostor.set(zmq::sockopt::curve_serverkey, topology.public_key);
  impostor.set(zmq::sockopt::curve_publickey, own.public_key);
  impostor.set(zmq::sockopt::curve_secretkey, own.secret_key);
  impostor.connect("tcp://127.0.0.1:" + std::to_string(*port));
  (void)impostor.send(zmq::buffer(forged), zmq::send_flags::dontwait);
  EXPECT_FALSE(receiver.receive(in(500ms)).has_value());
  EXPECT_GE(receiver.refused_peers(), 1u);

  ZmqTransport member(curve_options(topology));
  ASSERT_TRUE(member.connect("victim", {kLoopbackHost, *port}));
  const std::vector<std::uint8_t> batch{'b', 'a', 't', 'c', 'h'};
  ASSERT_EQ(member.send("victim", batch, in(5s)), SendResult::ok);
  auto got = receiver.receive(in(5s));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(std::vector<std::uint8_t>(got->bytes().begin(), got->bytes().end()), batch);
  EXPECT_EQ(got->sender(), "127.0.0.1");                  // what a refusal's log line names
  EXPECT_FALSE(receiver.receive(in(200ms)).has_value());  // still nothing from the others
}

TEST(ZmqTransportTest, CurveKeysAreFreshZ85Pairs) {
  auto a = make_curve_keys();
  auto b = make_curve_keys();
  EXPECT_EQ(a.public_key.size(), 40u);
  EXPECT_EQ(a.secret_key.size(), 40u);
  EXPECT_NE(a, b);
  ZmqOptions bad;
  bad.curve = CurveKeys{"short", "short"};
  EXPECT_THROW(ZmqTransport{bad}, std::invalid_argument);
}

}  // namespace
}  // namespace gale::transport
