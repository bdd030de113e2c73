// gale-zmq-bench: the baseline for cluster mode. Moves N items of 100 bytes, in messages of B
// items, between two threads of this process over tcp loopback:
//   1. bare ZeroMQ PUSH/PULL (the baseline: the bytes alone, no encoding);
//   2. the same items as tuples through BatchEncoder -> ZmqTransport -> BatchDecoder;
// and prints the ratio 2/1, plus encode-only and decode-only rates on one thread.
//
// usage: gale-zmq-bench [--items N] [--batch B] [--item-bytes S]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

#include "gale/transport/batch_codec.h"
#include "gale/transport/zmq_transport.h"
#include "zmq_baseline.h"

namespace {

using namespace gale::transport;
using Seconds = std::chrono::duration<double>;

struct Params {
  long items = 5'000'000;
  long batch = 100;
  long item_bytes = 100;
  long messages() const { return items / batch; }
  long moved_items() const { return messages() * batch; }
};

Params parse(int argc, char** argv) {
  Params p;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const long v = std::atol(argv[i + 1]);
    if (flag == "--items")
      p.items = v;
    else if (flag == "--batch")
      p.batch = v;
    else if (flag == "--item-bytes")
      p.item_bytes = v;
    else {
      std::fprintf(stderr, "usage: gale-zmq-bench [--items N] [--batch B] [--item-bytes S]\n");
      std::exit(2);
    }
  }
  if (p.items <= 0 || p.batch <= 0 || p.item_bytes <= 0 || p.messages() == 0) {
    std::fprintf(stderr, "--items, --batch and --item-bytes must be positive, items >= batch\n");
    std::exit(2);
  }
  return p;
}

// Runs `send` on a thread and `receive` on this one; returns the seconds until both finished.
template <typename Send, typename Receive>
double timed(Send send, Receive receive) {
  const auto start = std::chrono::steady_clock::now();
  std::thread sender(send);
  receive();
  sender.join();
  return Seconds(std::chrono::steady_clock::now() - start).count();
}

double bare_zmq(const Params& p) {
  return gale::bench::bare_zmq_seconds(p.messages(),
                                       static_cast<std::size_t>(p.batch * p.item_bytes));
}

class CountingVisitor : public BatchVisitor {
 public:
  void on_tuple(const TupleView& t) override {
    ++tuples;
    bytes += t.values[0].as_bytes().size();
  }
  void on_ack(std::uint8_t, std::int32_t, std::uint64_t, std::uint64_t) override {}
  long tuples = 0;
  std::size_t bytes = 0;
};

// One batch of B tuples, each one bytes value of the item size, as a worker would send it.
void fill(BatchEncoder& enc, const Params& p, const gale::Values& item) {
  enc.reset(1);
  for (long i = 0; i < p.batch; ++i)
    enc.add_tuple(static_cast<std::int32_t>(i % 4), 1, 0, item, {});
}

gale::Values make_item(const Params& p) {
  return {gale::Value(gale::Bytes(static_cast<std::size_t>(p.item_bytes), 7))};
}

double codec_and_transport(const Params& p) {
  ZmqTransport receiver;
  const auto port = receiver.bind({}).value();
  ZmqTransport sender;
  if (!sender.connect("receiver", {kLoopbackHost, port})) std::abort();
  const gale::Values item = make_item(p);
  CountingVisitor visitor;
  const double seconds = timed(
      [&] {
        BatchEncoder enc;
        for (long i = 0; i < p.messages(); ++i) {
          fill(enc, p, item);
          while (sender.send("receiver", enc.bytes(), Clock::now() + std::chrono::seconds(1)) !=
                 SendResult::ok) {
          }
        }
      },
      [&] {
        BatchDecoder decoder;
        for (long i = 0; i < p.messages(); ++i) {
          std::optional<Message> m;
          while (!(m = receiver.receive(Clock::now() + std::chrono::seconds(1)))) {
          }
          if (!decoder.decode(m->bytes(), visitor)) std::abort();
        }
      });
  if (visitor.tuples != p.moved_items()) std::abort();
  return seconds;
}

double encode_only(const Params& p) {
  const gale::Values item = make_item(p);
  BatchEncoder enc;
  std::size_t total = 0;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < p.messages(); ++i) {
    fill(enc, p, item);
    total += enc.bytes().size();
  }
  const double s = Seconds(std::chrono::steady_clock::now() - start).count();
  if (total == 0) std::abort();
  return s;
}

double decode_only(const Params& p) {
  BatchEncoder enc;
  fill(enc, p, make_item(p));
  BatchDecoder decoder;
  CountingVisitor visitor;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < p.messages(); ++i) {
    if (!decoder.decode(enc.bytes(), visitor)) std::abort();
  }
  return Seconds(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const Params p = parse(argc, argv);
  const double items = static_cast<double>(p.moved_items());
  const double messages = static_cast<double>(p.messages());
  std::printf("%ld items of %ld bytes in messages of %ld items, tcp loopback, 2 threads\n",
              p.moved_items(), p.item_bytes, p.batch);

  const double bare = bare_zmq(p);
  std::printf("%-36s %12.0f msgs/s %12.0f items/s\n", "bare ZeroMQ PUSH/PULL (baseline)",
              messages / bare, items / bare);
  const double gale = codec_and_transport(p);
  std::printf("%-36s %12.0f msgs/s %12.0f items/s  %5.1f%% of baseline\n",
              "BatchEncoder+ZmqTransport+Decoder", messages / gale, items / gale,
              100.0 * bare / gale);
  const double enc = encode_only(p);
  const double dec = decode_only(p);
  std::printf("%-36s %12s        %12.0f items/s\n", "encode only (one thread)", "", items / enc);
  std::printf("%-36s %12s        %12.0f items/s\n", "decode only (one thread)", "", items / dec);
  return 0;
}
