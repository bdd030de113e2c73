#pragma once
// The baseline of the cluster-mode benchmarks: bare ZeroMQ, the bytes alone with no encoding,
// PUSH -> PULL over tcp loopback between two threads of this process. The one place outside
// the ZeroMQ transport (transport/src/zmq_transport.cc) that uses ZeroMQ directly.
#include <cstddef>

namespace gale::bench {

// Seconds to move `messages` messages of `message_bytes` bytes each.
double bare_zmq_seconds(long messages, std::size_t message_bytes);

}  // namespace gale::bench
