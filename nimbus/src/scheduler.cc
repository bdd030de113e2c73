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

// Executors chained into another (Executor::chained_to) are not dealt out: each goes where the
// executor at the head of its chain goes, since it runs in that one's thread.
struct Chains {
  std::vector<const Executor*> leaders;                    // in order
  std::vector<std::pair<const Executor*, int>> followers;  // (executor, its leader's first task)

  explicit Chains(const std::vector<Executor>& executors) {
    std::map<int, const Executor*> by_first;
    for (const auto& e : executors) by_first[e.first_task] = &e;
    for (const auto& e : executors) {
      const Executor* head = &e;
      // A chain is at most as long as the executor list; a loop or an unknown task ends it.
      for (std::size_t n = 0; head->chained_to && n < executors.size(); ++n) {
        auto it = by_first.find(head->chained_to);
        if (it == by_first.end()) break;
        head = it->second;
      }
      if (head == &e || head->chained_to)
        leaders.push_back(&e);
      else
        followers.emplace_back(&e, head->first_task);
    }
  }
  void place_followers(std::map<int, Slot>& tasks) const {
    for (const auto& [executor, leader] : followers) place(tasks, *executor, tasks.at(leader));
  }
};

}  // namespace

std::map<int, Slot> plan(const std::vector<Executor>& executors, const std::vector<Slot>& slots) {
  Chains chains(executors);
  std::map<int, Slot> tasks;
  for (std::size_t i = 0; i < chains.leaders.size(); ++i)
    place(tasks, *chains.leaders[i], slots[i % slots.size()]);
  chains.place_followers(tasks);
  return tasks;
}

std::map<int, Slot> replan(const std::vector<Executor>& executors, const std::vector<Slot>& slots,
                           const std::map<int, Slot>& current) {
  Chains chains(executors);
  std::map<Slot, std::size_t, SlotLess> load;
  for (const auto& slot : slots) load[slot] = 0;
  const std::size_t share = (chains.leaders.size() + slots.size() - 1) / slots.size();

  std::map<int, Slot> tasks;
  std::vector<const Executor*> unplaced;
  for (const Executor* executor : chains.leaders) {
    auto now = current.find(executor->first_task);
    auto kept = now == current.end() ? load.end() : load.find(now->second);
    if (kept != load.end() && kept->second < share) {
      place(tasks, *executor, kept->first);
      ++kept->second;
    } else {
      unplaced.push_back(executor);
    }
  }
  for (const auto* executor : unplaced) {
    auto least = slots.front();
    for (const auto& slot : slots)
      if (load[slot] < load[least]) least = slot;
    place(tasks, *executor, least);
    ++load[least];
  }
  chains.place_followers(tasks);
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
