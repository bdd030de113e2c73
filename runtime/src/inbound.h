#pragma once
// Turns one message from another worker into a batch for one local executor, checking every
// field against the layout: corrupt or mismatched data is refused, never delivered. One
// Inbound per receiving thread (TransportBridge's).
#include <span>
#include <string>
#include <utility>

#include "batch.h"

namespace gale::runtime {

class Runtime;

class Inbound {
 public:
  Inbound(const Runtime& runtime, BatchPool& pool);

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
  const Runtime& runtime_;
  BatchPool& pool_;
  BatchPtr batch_;
  int dest_ = -1;
};

}  // namespace gale::runtime
