#pragma once
// What moves between executors: a batch of tuples (each with its target task) or of acker
// messages. Batches are recycled through the producer's pool so that, in steady state, no
// tuple costs an allocation: a slot's vectors and strings keep their capacity.
#include <cstdint>
#include <memory>
#include <vector>

#include "gale/common/bounded_queue.h"
#include "gale/tuple.h"

namespace gale::worker {

// Acker traffic, Storm's __ack_init / __ack_ack / __ack_fail and the acker's answers.
struct AckMessage {
  enum class Kind : std::uint8_t { init, ack, fail, completed, failed };
  Kind kind;
  int task;            // init: the spout task; completed/failed: the spout task addressed
  std::uint64_t root;  // the tuple tree
  std::uint64_t value; // init/ack: XOR of edge ids
};

class BatchPool;

struct Batch {
  std::vector<Tuple> tuples;  // slots [0, size) are live; the rest keep capacity for reuse
  std::vector<int> targets;   // target task of each live tuple slot
  std::size_t size = 0;
  std::vector<AckMessage> acks;
  BatchPool* home = nullptr;

  bool empty() const { return size == 0 && acks.empty(); }
  std::size_t count() const { return size + acks.size(); }
  Tuple& next_slot(int target) {
    if (size == tuples.size()) {
      tuples.emplace_back();
      targets.push_back(target);
    } else {
      targets[size] = target;
    }
    return tuples[size++];
  }
};

using BatchPtr = std::unique_ptr<Batch>;

// Free batches of one producer. Consumers give batches back from their thread; the producer
// takes them from its own. Bounded: a surplus batch is freed.
class BatchPool {
 public:
  explicit BatchPool(std::size_t capacity) : free_(capacity) {}
  ~BatchPool() {
    BatchPtr b;
    while (free_.try_pop(b)) b.reset();
  }
  BatchPtr acquire() {
    BatchPtr b;
    if (free_.try_pop(b)) return b;
    b = std::make_unique<Batch>();
    b->home = this;
    return b;
  }
  static void release(BatchPtr b) {
    b->size = 0;
    b->acks.clear();
    BatchPool* home = b->home;
    home->free_.try_push(b);  // when full, `b` still owns the batch and frees it
  }

 private:
  BoundedQueue<BatchPtr> free_;
};

}  // namespace gale::worker
