#pragma once
// Moves the runtime's batches between workers over a Transport: ZmqTransfer encodes outgoing
// batches (RemoteTransfer), Receiver decodes incoming ones into local executors' queues.
#include <atomic>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gale/transport/batch_codec.h"
#include "gale/transport/transport.h"
#include "gale/worker/remote.h"
#include "gale/worker/runtime.h"

namespace gale::cluster {

// Peer id of a worker slot: "host:port".
std::string peer_id(const std::string& host, int port);

class ZmqTransfer final : public worker::RemoteTransfer {
 public:
  // peers[e]: the peer id running executor e ("" for local executors).
  ZmqTransfer(transport::Transport& transport, std::vector<std::string> peers, std::uint32_t epoch)
      : transport_(transport), peers_(std::move(peers)), epoch_(epoch) {}
  bool try_send(int dest, const worker::Batch& batch) override;

 private:
  transport::Transport& transport_;
  std::vector<std::string> peers_;
  std::uint32_t epoch_;
};

// The receiving thread: decodes each message, checks it against the layout (Inbound), and
// hands the batch to its executor. Acker traffic (for ackers and spouts) is always delivered at
// once; a batch for a full bolt queue is parked so that acker traffic behind it keeps flowing,
// up to a bound past which the receiver waits.
class Receiver {
 public:
  Receiver(transport::Transport& transport, worker::Runtime& runtime, std::uint32_t epoch);
  ~Receiver();
  std::uint64_t rejected() const { return rejected_.load(); }

 private:
  void run();
  void handle(std::span<const std::uint8_t> bytes);
  bool deliver_parked();
  void deliver(int dest, worker::BatchPtr batch);

  transport::Transport& transport_;
  worker::Runtime& runtime_;
  std::uint32_t epoch_;
  worker::Inbound inbound_;
  transport::BatchDecoder decoder_;
  std::deque<std::pair<int, worker::BatchPtr>> parked_;
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gale::cluster
