#pragma once
// The even scheduler (Storm's default), as pure functions over records: no store, no clock.
//  - choose_slots: `count` free slots spread over supervisors, round-robin, the supervisor
//    with the fewest used slots first;
//  - plan: executors dealt to slots round-robin, except that an executor chained into another
//    (operator chaining) goes with the executor at the head of its chain;
//  - replan: the same executors (or a new split of them) over a new set of slots, keeping each
//    executor on its current slot while that slot stays in the set and is not over its share;
//  - free_slots / used_slots: what the cluster's supervisors offer and what assignments hold.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gale/coordination/records.h"
#include "gale/nimbus/errors.h"

namespace gale::nimbus {

using coordination::Assignment;
using coordination::Executor;
using coordination::Slot;
using coordination::SupervisorInfo;

struct SlotLess {
  bool operator()(const Slot& a, const Slot& b) const;
};
using SlotSet = std::set<Slot, SlotLess>;

// Every slot a task of any of `assignments` is mapped to.
SlotSet used_slots(const std::vector<Assignment>& assignments);

// The distinct slots of one assignment, in task order.
std::vector<Slot> slots_of(const Assignment& assignment);

// `count` slots from the supervisors' ports that are not in `used`, spread as described above.
// bad_request naming how many are needed and how many are free when there are not enough.
Result<std::vector<Slot>> choose_slots(const std::vector<SupervisorInfo>& supervisors,
                                       const SlotSet& used, int count);

// task -> slot: executor i (not counting chained ones) goes to slots[i % slots.size()]; a
// chained executor goes to its chain head's slot. Precondition: slots not empty.
std::map<int, Slot> plan(const std::vector<Executor>& executors, const std::vector<Slot>& slots);

// task -> slot for `executors` over `slots` (not empty), where `current` maps tasks to their
// slot today: an executor stays on its current slot (that of its first task) if the slot is in
// `slots` and holds fewer than its share (ceil(executors / slots)); the rest go to the least
// loaded slots, in order. Chained executors follow their chain head, as in plan().
std::map<int, Slot> replan(const std::vector<Executor>& executors, const std::vector<Slot>& slots,
                           const std::map<int, Slot>& current);

// Up to one free slot (not in `used`) per lost slot of a topology, preferring a supervisor
// other than the lost slot's, then the one with the fewest used slots. Fewer when the cluster
// runs out of free slots.
std::vector<Slot> replacement_slots(const std::vector<Slot>& lost,
                                    const std::vector<SupervisorInfo>& supervisors,
                                    const SlotSet& used);

}  // namespace gale::nimbus
