#pragma once
// A stateful bolt task's states (the StateContext its init_state() sees), restored from a
// checkpoint and snapshotted into parts. On the task's executor thread only.
#include <memory>
#include <string>
#include <vector>

#include "gale/state.h"
#include "gale/state/part.h"

namespace gale::runtime {

class TaskState final : public StateContext {
 public:
  // `restored`: the task's state as of the checkpoint it starts from (empty: none);
  // `full_every`: topology.state.full.every.
  TaskState(std::string component, state::RestoredTask restored, int full_every);

  CheckpointId restored_from() const override { return restored_from_; }
  // The task's part of checkpoint `id`, encoded: what changed since its previous part, or
  // everything (`full`) every full_every parts.
  struct Part {
    std::string bytes;
    bool full;
  };
  Part snapshot(CheckpointId id);
  // Restored states init_state() did not declare (they are dropped at the next full part).
  std::vector<std::string> undeclared() const;
  // The next part holds everything: an earlier part may not have been stored (a failed write,
  // a snapshot that threw), so no later delta may link to it.
  void force_full() { prev_ = 0; }
  // No checkpoints: states do not track their changes.
  void stop_tracking();

 protected:
  detail::StateBase& declare(std::unique_ptr<detail::StateBase> state) override;

 private:
  const std::string component_;
  std::vector<std::unique_ptr<detail::StateBase>> states_;
  bool tracking_ = true;
  state::RestoredTask restored_;
  const CheckpointId restored_from_;
  const int full_every_;
  CheckpointId prev_;  // this task's last part (its chain's head)
  int since_full_;     // parts after the last full one in the chain
};

}  // namespace gale::runtime
