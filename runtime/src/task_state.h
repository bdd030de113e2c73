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
  TaskState(state::RestoredTask restored, int full_every);

  CheckpointId restored_from() const override { return restored_from_; }
  // The task's part of checkpoint `id`: what changed since its previous part, or everything
  // every full_every parts. Names restored states no init_state() declared, once.
  std::string snapshot(CheckpointId id);
  // Restored states init_state() did not declare (they are dropped at the next full part).
  std::vector<std::string> undeclared() const;

 protected:
  detail::StateBase& declare(std::unique_ptr<detail::StateBase> state) override;

 private:
  std::vector<std::unique_ptr<detail::StateBase>> states_;
  state::RestoredTask restored_;
  const CheckpointId restored_from_;
  const int full_every_;
  CheckpointId prev_;  // this task's last part (its chain's head)
  int since_full_;     // parts after the last full one in the chain
};

}  // namespace gale::runtime
