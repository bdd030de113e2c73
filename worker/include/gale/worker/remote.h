#pragma once
// The runtime's seam to other worker processes. A Runtime that runs only some of a topology's
// executors hands every batch for the others to a RemoteTransfer, and builds batches from
// other workers' traffic with an Inbound.
//
// Deadlock freedom across workers rests on two rules the transfer must keep: try_send never
// waits (a spout must keep draining acks), and acker traffic (batches for acker and spout
// executors) is never queued behind tuple traffic on the receiving side, because ackers and
// spouts are what eventually frees every queue.
#include <span>
#include <string>
#include <utility>

#include "gale/worker/batch.h"

namespace gale::worker {

class Runtime;

class RemoteTransfer {
 public:
  virtual ~RemoteTransfer() = default;
  // Hands `batch` (all of it for executor `dest`, which runs in another worker) to the
  // transport, or returns false at once when the peer cannot take it now; the caller keeps
  // the batch and retries. Called from any executor thread, concurrently.
  virtual bool try_send(int dest, const Batch& batch) = 0;
};

// Turns one message from another worker into a batch for one local executor, checking every
// field against the layout: corrupt or mismatched data is refused, never delivered. One
// Inbound per receiving thread.
class Inbound {
 public:
  explicit Inbound(Runtime& runtime);

  // Starts a batch for local executor `dest`. Returns an error message, empty when accepted.
  std::string begin(int dest);
  std::string add_tuple(int target_task, int source_task, int stream_index, const Values& values,
                        std::span<const std::pair<std::uint64_t, std::uint64_t>> anchors);
  std::string add_ack(const AckMessage& m);
  // The finished batch, for the caller to push into the executor's inbox.
  BatchPtr finish() { return std::move(batch_); }
  // Discards a partly built batch (after an error).
  void abandon();

 private:
  Runtime& runtime_;
  BatchPtr batch_;
  int dest_ = -1;
};

}  // namespace gale::worker
