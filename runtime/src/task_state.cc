#include "task_state.h"

#include <stdexcept>

namespace gale::runtime {
namespace {

class DeltaSink final : public detail::StateSink {
 public:
  explicit DeltaSink(state::StateDelta& delta) : delta_(delta) {}
  void put(std::string key, std::string value) override {
    delta_.entries.emplace_back(std::move(key), std::move(value));
  }
  void erase(std::string key) override {
    delta_.entries.emplace_back(std::move(key), std::nullopt);
  }

 private:
  state::StateDelta& delta_;
};

}  // namespace

TaskState::TaskState(std::string component, state::RestoredTask restored, int full_every)
    : component_(std::move(component)),
      restored_(std::move(restored)),
      restored_from_(restored_.checkpoint),
      full_every_(full_every),
      prev_(restored_.checkpoint),
      since_full_(restored_.chain > 0 ? restored_.chain - 1 : 0) {}

detail::StateBase& TaskState::declare(std::unique_ptr<detail::StateBase> state) {
  for (const auto& s : states_)
    if (s->name() == state->name())
      throw std::invalid_argument("state '" + state->name() + "' is declared twice");
  auto it = restored_.states.find(state->name());
  if (it != restored_.states.end()) {
    if (it->second.type != state->type())
      throw std::invalid_argument("state '" + state->name() + "' is declared as " + state->type() +
                                  " but checkpoint " + std::to_string(restored_from_) +
                                  " holds it as " + it->second.type +
                                  ": the topology's state changed incompatibly");
    for (const auto& [key, value] : it->second.entries) state->restore(key, value);
    restored_.states.erase(it);
  }
  if (!tracking_) state->stop_tracking();
  return *states_.emplace_back(std::move(state));
}

std::vector<std::string> TaskState::undeclared() const {
  std::vector<std::string> names;
  for (const auto& [name, s] : restored_.states) names.push_back(name);
  return names;
}

void TaskState::stop_tracking() {
  tracking_ = false;
  for (auto& s : states_) s->stop_tracking();
}

TaskState::Part TaskState::snapshot(CheckpointId id) {
  state::TaskPart part;
  part.component = component_;
  part.full = prev_ == 0 || since_full_ + 1 >= full_every_;
  part.prev = part.full ? 0 : prev_;
  for (const auto& s : states_) {
    state::StateDelta& d = part.states.emplace_back();
    d.name = s->name();
    d.type = s->type();
    DeltaSink sink(d);
    s->snapshot(part.full, sink);
  }
  prev_ = id;
  since_full_ = part.full ? 0 : since_full_ + 1;
  return {state::encode_part(part), part.full};
}

}  // namespace gale::runtime
