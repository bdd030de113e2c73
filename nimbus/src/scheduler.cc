#include "scheduler.h"

#include <algorithm>
#include <tuple>

namespace gale::nimbus {

bool SlotLess::operator()(const Slot& a, const Slot& b) const {
  return std::tie(a.supervisor_id, a.host, a.port) < std::tie(b.supervisor_id, b.host, b.port);
}

SlotSet used_slots(const std::vector<Assignment>& assignments) {
  SlotSet used;
  for (const auto& assignment : assignments)
    for (const auto& [task, slot] : assignment.task_slots) used.insert(slot);
  return used;
}

std::vector<Slot> slots_of(const Assignment& assignment) {
  std::vector<Slot> slots;
  SlotSet seen;
  for (const auto& [task, slot] : assignment.task_slots)
    if (seen.insert(slot).second) slots.push_back(slot);
  return slots;
}

namespace {

// One supervisor's offer: its free slots (lowest port first) and how many of its slots are
// used, counting the ones this scheduling round has taken.
struct Offer {
  std::string supervisor_id;
  std::vector<Slot> free;
  int used = 0;
};

std::vector<Offer> offers(const std::vector<SupervisorInfo>& supervisors, const SlotSet& used) {
  std::vector<Offer> result;
  for (const auto& supervisor : supervisors) {
    Offer offer{supervisor.id, {}, 0};
    auto ports = supervisor.ports;
    std::sort(ports.begin(), ports.end());
    for (int port : ports) {
      Slot slot{supervisor.id, supervisor.host, port};
      if (used.contains(slot))
        ++offer.used;
      else
        offer.free.push_back(slot);
    }
    result.push_back(std::move(offer));
  }
  return result;
}

// Takes the first free slot of the offer with the fewest used slots (ties: by supervisor id),
// skipping `avoid_supervisor` while another offer has a free slot. Precondition: a free slot.
Slot take_slot(std::vector<Offer>& all, const std::string& avoid_supervisor = {}) {
  auto better = [&](const Offer& a, const Offer& b) {
    bool a_avoided = a.supervisor_id == avoid_supervisor;
    bool b_avoided = b.supervisor_id == avoid_supervisor;
    return std::tie(a_avoided, a.used, a.supervisor_id) <
           std::tie(b_avoided, b.used, b.supervisor_id);
  };
  Offer* best = nullptr;
  for (auto& offer : all)
    if (!offer.free.empty() && (!best || better(offer, *best))) best = &offer;
  Slot slot = best->free.front();
  best->free.erase(best->free.begin());
  ++best->used;
  return slot;
}

int free_count(const std::vector<Offer>& all) {
  int n = 0;
  for (const auto& offer : all) n += static_cast<int>(offer.free.size());
  return n;
}

}  // namespace

Result<std::vector<Slot>> choose_slots(const std::vector<SupervisorInfo>& supervisors,
                                       const SlotSet& used, int count) {
  auto all = offers(supervisors, used);
  int available = free_count(all);
  if (available < count) {
    return make_error(NimbusErrc::bad_request, "not enough free slots: the topology needs " +
                                                   std::to_string(count) + " worker slots, " +
                                                   std::to_string(available) + " are free");
  }
  std::vector<Slot> chosen;
  for (int i = 0; i < count; ++i) chosen.push_back(take_slot(all));
  return chosen;
}

namespace {

void place(std::map<int, Slot>& tasks, const Executor& executor, const Slot& slot) {
  for (int task = executor.first_task; task <= executor.last_task; ++task) tasks[task] = slot;
}

}  // namespace

std::map<int, Slot> plan(const std::vector<Executor>& executors, const std::vector<Slot>& slots) {
  std::map<int, Slot> tasks;
  for (std::size_t i = 0; i < executors.size(); ++i)
    place(tasks, executors[i], slots[i % slots.size()]);
  return tasks;
}

std::map<int, Slot> replan(const std::vector<Executor>& executors, const std::vector<Slot>& slots,
                           const std::map<int, Slot>& current) {
  std::map<Slot, std::size_t, SlotLess> load;
  for (const auto& slot : slots) load[slot] = 0;
  const std::size_t share = (executors.size() + slots.size() - 1) / slots.size();

  std::map<int, Slot> tasks;
  std::vector<const Executor*> unplaced;
  for (const auto& executor : executors) {
    auto now = current.find(executor.first_task);
    auto kept = now == current.end() ? load.end() : load.find(now->second);
    if (kept != load.end() && kept->second < share) {
      place(tasks, executor, kept->first);
      ++kept->second;
    } else {
      unplaced.push_back(&executor);
    }
  }
  for (const auto* executor : unplaced) {
    auto least = slots.front();
    for (const auto& slot : slots)
      if (load[slot] < load[least]) least = slot;
    place(tasks, *executor, least);
    ++load[least];
  }
  return tasks;
}

std::vector<Slot> replacement_slots(const std::vector<Slot>& lost,
                                    const std::vector<SupervisorInfo>& supervisors,
                                    const SlotSet& used) {
  auto all = offers(supervisors, used);
  std::vector<Slot> fresh;
  for (const auto& slot : lost) {
    if (free_count(all) == 0) break;
    fresh.push_back(take_slot(all, slot.supervisor_id));
  }
  return fresh;
}

}  // namespace gale::nimbus
