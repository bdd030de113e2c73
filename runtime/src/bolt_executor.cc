// Runs a bolt's tasks (a BoltStage) on their own executor thread, fed by its input queue.
#include "bolt_stage.h"

namespace gale::runtime {

class BoltExecutor final : public Executor {
 public:
  BoltExecutor(Runtime& runtime, int index, std::vector<int> chained)
      : Executor(runtime, index, std::move(chained)), bolt_(*this, index) {
    head_ = &bolt_;
  }
  ~BoltExecutor() override { join(); }

 private:
  void prepare() override { bolt_.prepare(); }

  bool work() override {
    BatchPtr b = take_self_batch();
    if (!b && !inbox().try_pop(b)) {
      deliver_ticks();
      return false;
    }
    mark_busy();
    for (std::size_t i = 0; i < b->size; ++i) execute_input(b->targets[i], b->tuples[i], &bolt_);
    BatchPool::release(std::move(b));
    flush();  // what this batch produced goes on now: output batches follow input batches
    deliver_ticks();
    return true;
  }

  void deliver_ticks() {
    bolt_.deliver_ticks();
    deliver_chained_ticks();
  }

  void shutdown() override { bolt_.cleanup(); }

  std::int64_t sleep_limit_ns(int) override {
    std::int64_t next = std::min(bolt_.next_tick_ns(), next_chained_tick_ns());
    return next == kNoLimit ? kNoLimit : until(next);
  }

  BoltStage bolt_;
};

std::unique_ptr<Executor> make_bolt_executor(Runtime& runtime, int index,
                                             std::vector<int> chained) {
  return std::make_unique<BoltExecutor>(runtime, index, std::move(chained));
}

}  // namespace gale::runtime
