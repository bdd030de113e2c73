#pragma once
// The acker's bookkeeping, apart from its thread so that it can be tested message by message.
#include <optional>

#include "batch.h"
#include "gale/common/id_map.h"
#include "rotation_timer.h"

namespace gale::runtime {

class AckerState {
 public:
  explicit AckerState(int buckets = kTimeoutBuckets) : pending_(buckets) {}

  // Applies an init, ack or fail. Returns the answer for the spout task once the tree is
  // complete (Kind::completed) or failed (Kind::failed), and forgets the tree.
  std::optional<AckMessage> apply(const AckMessage& m);
  // Drops the oldest generation of trees (they have timed out).
  void expire_oldest() {
    pending_.rotate([](std::uint64_t, Tree&) {});
  }
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Tree {
    std::uint64_t value = 0;
    int spout_task = -1;
    bool failed = false;
  };
  RotatingIdMap<Tree> pending_;
};

}  // namespace gale::runtime
