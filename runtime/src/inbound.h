#pragma once
// Turns one message from another worker into a batch for one local executor, checking every
// field against the layout: corrupt or mismatched data is refused, never delivered. One
// Inbound per receiving thread (TransportBridge's).
#include <span>
#include <string>
#include <utility>

#include "batch.h"
#include "gale/common/result.h"
#include "gale/runtime/errc.h"

namespace gale::runtime {

class Runtime;

class Inbound {
 public:
  Inbound(const Runtime& runtime, BatchPool& pool);

  // Starts a batch for local executor `dest`. Each call returns ok when accepted, or an error
  // (RuntimeErrc::refused_batch) whose message names the problem.
  Status begin(int dest);
  Status add_tuple(int target_task, int source_task, int stream_index, const Values& values,
                   std::span<const std::pair<std::uint64_t, std::uint64_t>> anchors);
  Status add_ack(const AckMessage& m);
  // The finished batch, for the caller to push into the executor's inbox.
  BatchPtr finish() { return std::move(batch_); }
  // Discards a partly built batch (after an error).
  void abandon();

 private:
  const Runtime& runtime_;
  BatchPool& pool_;
  BatchPtr batch_;
  int dest_ = -1;
};

}  // namespace gale::runtime
