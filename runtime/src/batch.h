#pragma once
// What moves between executors: a batch of tuples (each with its target task) or of acker
// messages. Batches are recycled through the producer's pool so that, in steady state, no
// tuple costs an allocation: a slot's vectors and strings keep their capacity.
#include <cstdint>
#include <memory>
#include <vector>

#include "gale/common/bounded_queue.h"
#include "gale/runtime/layout.h"
#include "gale/tuple.h"

namespace gale::runtime {

// Acker traffic, Storm's __ack_init / __ack_ack / __ack_fail and the acker's answers; and the
// checkpoint coordinator's word to the spouts (trigger checkpoint `root`, it completed) and
// theirs to it (declined).
struct AckMessage {
  // The values travel on the wire (transport/batch_codec.h): never renumber.
  enum class Kind : std::uint8_t {
    init,
    ack,
    fail,
    completed,
    failed,
    checkpoint,           // to spout task `task`: snapshot, then send barrier `root`
    checkpoint_complete,  // to spout task `task`: checkpoint `root` is complete
    // to the coordinator's task `task`: spout task `value` took no part in checkpoint `root`
    // (its snapshot_position threw), which therefore cannot complete
    checkpoint_declined
  };
  static constexpr Kind kLastKind = Kind::checkpoint_declined;
  Kind kind;
  int task;             // init: the spout task; others but ack and fail: the task addressed
  std::uint64_t root;   // the tuple tree (checkpoint kinds: the checkpoint id)
  std::uint64_t value;  // init/ack: XOR of edge ids

  // init, ack and fail go to the acker tracking the tree; completed and failed to a spout.
  bool to_acker() const { return kind <= Kind::fail; }
};
static_assert(static_cast<int>(AckMessage::Kind::init) == 0 &&
                  static_cast<int>(AckMessage::Kind::ack) == 1 &&
                  static_cast<int>(AckMessage::Kind::fail) == 2 &&
                  static_cast<int>(AckMessage::Kind::completed) == 3 &&
                  static_cast<int>(AckMessage::Kind::failed) == 4 &&
                  static_cast<int>(AckMessage::Kind::checkpoint) == 5 &&
                  static_cast<int>(AckMessage::Kind::checkpoint_complete) == 6 &&
                  static_cast<int>(AckMessage::Kind::checkpoint_declined) == 7,
              "AckMessage::Kind values are part of the wire format");

// The task that takes acker message `m`: the acker tracking its tree (init, ack, fail) or the
// task it addresses (the others: a spout's, or the coordinator's); 0 when there is none
// (acking off, unknown task).
// The one place that decides where acker traffic goes: executors send by it, and batches from
// other workers are checked by it.
inline int ack_target_task(const Layout& layout, const AckMessage& m) {
  if (m.to_acker()) return layout.acking() ? layout.acker_for(m.root) : 0;
  return m.task >= 1 && m.task <= layout.task_count() ? m.task : 0;
}

// Ackers, spouts and the checkpoint coordinator take acker traffic, which must never queue
// behind tuple traffic: it is what eventually frees every queue.
inline bool takes_acker_traffic(const Layout& layout, int executor) {
  const auto& info = layout.executors()[static_cast<std::size_t>(executor)];
  return layout.component(info.component).kind != ComponentInfo::Kind::bolt;
}

class BatchPool;

struct Batch {
  std::vector<Tuple> tuples;  // slots [0, size) are live; the rest keep capacity for reuse
  std::vector<int> targets;   // target task of each live tuple slot
  // The emit each live slot came from (Executor::next_emit; 0: unknown): slots of one emit
  // for tasks in the same remote worker are encoded once (TransportBridge::try_send).
  std::vector<std::uint32_t> emits;
  std::size_t size = 0;
  std::vector<AckMessage> acks;
  BatchPool* home = nullptr;

  bool empty() const { return size == 0 && acks.empty(); }
  std::size_t count() const { return size + acks.size(); }
  Tuple& next_slot(int target, std::uint32_t emit = 0) {
    if (size == tuples.size()) {
      tuples.emplace_back();
      targets.push_back(target);
      emits.push_back(emit);
    } else {
      targets[size] = target;
      emits[size] = emit;
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

}  // namespace gale::runtime
