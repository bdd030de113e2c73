#pragma once
// Turns one message from another worker into batches for the local executors it addresses
// (one per executor), checking every field against the layout: corrupt or mismatched data is
// refused, never delivered. One Inbound per receiving thread (TransportBridge's).
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

  // Each call returns ok when accepted, or an error (RuntimeErrc::refused_batch) whose message
  // names the problem. A tuple for `target_task`, in the trees `roots` with its ack value in
  // each (`values`, one per root).
  Status add_tuple(int target_task, int source_task, int stream_index, const Values& values,
                   std::span<const std::uint64_t> roots, std::span<const std::uint64_t> values_in);
  Status add_ack(const AckMessage& m);
  bool empty() const { return batches_.empty(); }
  // Hands the finished batches with their executors to `out` (cleared first), for the caller
  // to push into their inboxes; Inbound starts empty again.
  void finish(std::vector<std::pair<int, BatchPtr>>& out) {
    out.clear();
    out.swap(batches_);
  }
  // Discards the batches built so far (after an error).
  void abandon();

 private:
  // The batch for local executor `dest`, started on first use.
  Batch& batch_for(int dest);

  const Runtime& runtime_;
  BatchPool& pool_;
  std::vector<std::pair<int, BatchPtr>> batches_;  // few: the executors one message addresses
};

}  // namespace gale::runtime
