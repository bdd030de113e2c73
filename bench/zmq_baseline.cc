#include "zmq_baseline.h"

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace gale::bench {

double bare_zmq_seconds(long messages, std::size_t message_bytes) {
  zmq::context_t context(1);
  zmq::socket_t pull(context, zmq::socket_type::pull);
  pull.set(zmq::sockopt::linger, 0);
  pull.bind("tcp://127.0.0.1:*");
  zmq::socket_t push(context, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect(pull.get(zmq::sockopt::last_endpoint));
  const std::vector<std::uint8_t> message(message_bytes, 7);
  const auto start = std::chrono::steady_clock::now();
  std::thread sender([&] {
    for (long i = 0; i < messages; ++i) push.send(zmq::buffer(message));
  });
  zmq::message_t in;
  for (long i = 0; i < messages; ++i) (void)pull.recv(in);
  sender.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace gale::bench
