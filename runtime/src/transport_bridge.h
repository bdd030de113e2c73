#pragma once
// The runtime's seam to other worker processes, over any Transport (ZeroMQ in the cluster,
// in-process queues in tests): outgoing batches for executors elsewhere are encoded and sent
// to the worker running them; a receiving thread decodes incoming messages, checks them
// against the layout (Inbound) and hands each batch to its local executor.
//
// Deadlock freedom across workers rests on two rules kept here: try_send never waits (a spout
// must keep draining acks), and acker traffic (batches for acker and spout executors) is never
// queued behind tuple traffic on the receiving side, because ackers and spouts are what
// eventually frees every queue. A batch for a full bolt queue is parked so that acker traffic
// behind it keeps flowing, up to a bound past which the receiver waits.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "batch.h"
#include "gale/transport/batch_codec.h"
#include "gale/transport/transport.h"
#include "inbound.h"
#include "parked_batches.h"

namespace gale::runtime {

class TransportBridge {
 public:
  // peers[e]: the peer id of the worker running executor e ("" for local executors). `epoch`:
  // the assignment's; batches stamped with another are refused.
  TransportBridge(Runtime& runtime, transport::Transport& transport, std::vector<std::string> peers,
                  std::uint64_t epoch);
  ~TransportBridge();  // stops receiving
  TransportBridge(const TransportBridge&) = delete;
  TransportBridge& operator=(const TransportBridge&) = delete;

  // Hands `batch` (all of it for the worker running executor `dest`: Runtime::outbound_of_task)
  // to the transport, or returns false at once when the peer cannot take it now; the caller
  // keeps the batch and retries. Called from any executor thread, concurrently.
  bool try_send(int dest, const Batch& batch);

  // Starts the receiving thread. Only once the runtime's executors exist (after start()).
  void start_receiving();
  // Stops and joins the receiving thread. Idempotent.
  void stop_receiving();
  // Messages refused since the start (corrupt, another epoch, wrong executor).
  std::uint64_t rejected() const { return rejected_.load(); }
  // Batches built from other workers' traffic come from here.
  BatchPool& inbound_pool() { return inbound_pool_; }

 private:
  void receive_loop();
  void handle(const transport::Message& message);
  void report_rejected(const transport::Message& message, const std::string& error);
  void deliver(int dest, BatchPtr batch);

  static constexpr std::size_t kInboundPoolBatches = 256;
  // Tuple batches for full bolts held by the receiver before it waits.
  static constexpr std::size_t kMaxParked = 256;
  // How long the receiver sleeps between tries once it must wait for a queue.
  static constexpr std::int64_t kReceiverParkMicros = 50;
  // At most one log line about refused messages per this many seconds (each with the count).
  static constexpr std::int64_t kRejectedLogSecs = 10;

  Runtime& runtime_;
  transport::Transport& transport_;
  const std::vector<std::string> peers_;
  const std::uint64_t epoch_;
  BatchPool inbound_pool_{kInboundPoolBatches};
  Inbound inbound_;
  std::vector<std::pair<int, BatchPtr>> finished_;  // one message's batches, by executor
  std::vector<std::uint64_t> seen_tasks_;  // MessageVisitor's scratch: a target twice in a record
  std::uint64_t records_ = 1;
  transport::BatchDecoder decoder_;
  ParkedBatches parked_;
  std::atomic<std::uint64_t> rejected_{0};
  std::int64_t rejected_logged_ns_ = 0;  // receiving thread only
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gale::runtime
