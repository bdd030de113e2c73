#pragma once
// Batches that a destination refused (its queue was full), kept in order until it takes them.
// The one holding loop for refused batches: a spout parks its output rather than wait (it must
// keep draining acks), and the receiving side of a TransportBridge parks tuple batches for a
// full bolt so that acker traffic behind them keeps flowing. One thread owns an instance.
#include <deque>
#include <utility>

#include "batch.h"
#include "gale/runtime/runtime.h"

namespace gale::runtime {

class ParkedBatches {
 public:
  void park(int dest, BatchPtr batch) { parked_.emplace_back(dest, std::move(batch)); }
  // Hands parked batches to the runtime in order until one is refused. Returns whether any went.
  bool retry(Runtime& runtime) {
    bool did = false;
    while (!parked_.empty() && runtime.try_deliver(parked_.front().first, parked_.front().second)) {
      parked_.pop_front();
      did = true;
    }
    return did;
  }
  bool empty() const { return parked_.empty(); }
  std::size_t size() const { return parked_.size(); }

 private:
  std::deque<std::pair<int, BatchPtr>> parked_;
};

}  // namespace gale::runtime
