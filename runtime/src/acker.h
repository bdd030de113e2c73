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
  // Packed, 12 bytes: with its id a tracked tree costs the acker 20 bytes a slot.
  struct [[gnu::packed]] Tree {
    std::uint64_t value = 0;
    std::int32_t spout_task : 31 = -1;  // -1 until the init arrives
    std::uint32_t failed : 1 = 0;
  };
  static_assert(sizeof(Tree) == 12);
  RotatingIdMap<Tree> pending_;
};

}  // namespace gale::runtime
