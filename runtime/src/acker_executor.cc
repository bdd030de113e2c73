// The acker: Storm's algorithm. Per tuple tree (root id) it keeps the XOR of every edge id it
// has heard of; the tree is complete when, after the spout's init, the value returns to zero.
// A fail marks the tree failed (even before the init arrives). Trees older than the message
// timeout are dropped silently: the spout times them out itself.
#include "acker.h"
#include "executor.h"
#include "rotation_timer.h"

namespace gale::runtime {

std::optional<AckMessage> AckerState::apply(const AckMessage& m) {
  Tree& tree = pending_.get_or_create(m.root);
  switch (m.kind) {
    case AckMessage::Kind::init:
      tree.value ^= m.value;
      tree.spout_task = m.task;
      break;
    case AckMessage::Kind::ack:
      tree.value ^= m.value;
      break;
    case AckMessage::Kind::fail:
      tree.failed = true;
      break;
    default:
      return std::nullopt;
  }
  if (tree.spout_task < 0) return std::nullopt;  // the init has not arrived yet
  if (!tree.failed && tree.value != 0) return std::nullopt;
  AckMessage answer{tree.failed ? AckMessage::Kind::failed : AckMessage::Kind::completed,
                    tree.spout_task, m.root, 0};
  Tree done;
  pending_.take(m.root, done);
  return answer;
}

class AckerExecutor final : public Executor {
 public:
  AckerExecutor(Runtime& runtime, int index)
      : Executor(runtime, index, {}), stage_(runtime.layout(), index) {
    head_ = &stage_;
  }
  ~AckerExecutor() override { join(); }

 private:
  void prepare() override { expiry_.start(now(), runtime_.settings().timeout_ns); }

  bool work() override {
    BatchPtr b;
    bool did = false;
    if (inbox().try_pop(b)) {
      mark_busy();
      for (const AckMessage& m : b->acks) {
        if (auto answer = state_.apply(m)) send_ack(*answer);
      }
      stage_.stats.executed.add(b->acks.size());
      BatchPool::release(std::move(b));
      flush();
      did = true;
    }
    if (expiry_.enabled() && (!did || ++rounds_ % kTimerCheckRounds == 0)) {
      for (int n = expiry_.due(now()); n > 0; --n) state_.expire_oldest();
    }
    return did;
  }

  void shutdown() override {}

  std::int64_t sleep_limit_ns(int) override {
    return expiry_.enabled() ? until(expiry_.next_ns()) : kNoLimit;
  }

  Stage stage_;
  AckerState state_;
  RotationTimer expiry_;
  std::uint64_t rounds_ = 0;
};

std::unique_ptr<Executor> make_acker_executor(Runtime& runtime, int index, std::vector<int>) {
  return std::make_unique<AckerExecutor>(runtime, index);
}

}  // namespace gale::runtime
