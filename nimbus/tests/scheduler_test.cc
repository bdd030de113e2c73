// The even scheduler: spreading, refusing when slots run short, and keeping executors in place.
#include "scheduler.h"

#include <gtest/gtest.h>

namespace gale::nimbus {
namespace {

SupervisorInfo supervisor(const std::string& id, std::vector<int> ports) {
  return SupervisorInfo{id, "127.0.0.1", std::move(ports), 0};
}

std::vector<Executor> executors(int n) {
  std::vector<Executor> out;
  for (int i = 1; i <= n; ++i) out.push_back({i, i});
  return out;
}

TEST(SchedulerTest, SpreadsSlotsOverSupervisorsBeforeFillingOne) {
  auto slots = choose_slots({supervisor("a", {1, 2, 3}), supervisor("b", {1, 2, 3})}, {}, 4);
  ASSERT_TRUE(slots.ok());
  std::map<std::string, int> per_supervisor;
  for (const auto& slot : *slots) ++per_supervisor[slot.supervisor_id];
  EXPECT_EQ(per_supervisor["a"], 2);
  EXPECT_EQ(per_supervisor["b"], 2);
}

TEST(SchedulerTest, PrefersTheSupervisorWithFewestUsedSlots) {
  SlotSet used{{"a", "127.0.0.1", 1}, {"a", "127.0.0.1", 2}};
  auto slots = choose_slots({supervisor("a", {1, 2, 3}), supervisor("b", {1, 2, 3})}, used, 1);
  ASSERT_TRUE(slots.ok());
  EXPECT_EQ((*slots)[0].supervisor_id, "b");
}

TEST(SchedulerTest, RefusesWhenNotEnoughFreeSlotsNamingTheCounts) {
  SlotSet used{{"a", "127.0.0.1", 1}};
  auto slots = choose_slots({supervisor("a", {1, 2})}, used, 3);
  ASSERT_FALSE(slots.ok());
  EXPECT_EQ(slots.code(), make_error_code(NimbusErrc::bad_request));
  EXPECT_NE(slots.error().message.find("needs 3"), std::string::npos) << slots.error().message;
  EXPECT_NE(slots.error().message.find("1 are free"), std::string::npos) << slots.error().message;
}

TEST(SchedulerTest, DealsExecutorsRoundRobinOverSlots) {
  std::vector<Slot> slots{{"a", "h", 1}, {"b", "h", 1}};
  auto tasks = plan({{1, 2}, {3, 3}, {4, 5}}, slots);
  EXPECT_EQ(tasks[1], slots[0]);
  EXPECT_EQ(tasks[2], slots[0]);
  EXPECT_EQ(tasks[3], slots[1]);
  EXPECT_EQ(tasks[4], slots[0]);
  EXPECT_EQ(tasks[5], slots[0]);
}

TEST(SchedulerTest, ReassignmentMovesOnlyTheLostSlotsExecutors) {
  std::vector<Slot> before{{"a", "h", 1}, {"b", "h", 1}, {"c", "h", 1}};
  auto current = plan(executors(9), before);
  Slot fresh{"d", "h", 1};
  auto after = replan(executors(9), {before[0], before[2], fresh}, current);
  for (const auto& [task, slot] : current) {
    if (slot == before[1])
      EXPECT_EQ(after[task], fresh) << "task " << task;
    else
      EXPECT_EQ(after[task], slot) << "task " << task << " moved";
  }
}

TEST(SchedulerTest, ReplacementSlotsPreferAnotherSupervisor) {
  std::vector<SupervisorInfo> sups{supervisor("a", {1, 2}), supervisor("b", {1, 2})};
  SlotSet used{{"a", "127.0.0.1", 1}, {"b", "127.0.0.1", 1}, {"b", "127.0.0.1", 2}};
  auto fresh = replacement_slots({{"a", "127.0.0.1", 1}}, sups, used);
  ASSERT_EQ(fresh.size(), 1u);  // only a:2 is free, so the lost slot's own supervisor it is
  EXPECT_EQ(fresh[0], (Slot{"a", "127.0.0.1", 2}));
  used.erase({"b", "127.0.0.1", 2});
  fresh = replacement_slots({{"a", "127.0.0.1", 1}}, sups, used);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].supervisor_id, "b");
}

TEST(SchedulerTest, RebalanceToFewerSlotsKeepsExecutorsOnRemainingSlots) {
  std::vector<Slot> before{{"a", "h", 1}, {"b", "h", 1}};
  auto current = plan(executors(4), before);
  auto after = replan(executors(4), {before[0]}, current);
  for (const auto& [task, slot] : after) EXPECT_EQ(slot, before[0]);
}

// spout executors 1, 2; parse 3, 4 chained into them; rules 5, 6 chained into parse; sink 7.
std::vector<Executor> chained_pipeline() {
  return {{1, 1}, {2, 2}, {3, 3, 1}, {4, 4, 2}, {5, 5, 3}, {6, 6, 4}, {7, 7}};
}

TEST(SchedulerTest, ChainedExecutorsGoWithTheHeadOfTheirChain) {
  std::vector<Slot> slots{{"a", "h", 1}, {"b", "h", 1}};
  auto tasks = plan(chained_pipeline(), slots);
  // The heads are dealt round-robin (1, 2, 7); each chain follows its head.
  EXPECT_EQ(tasks[1], slots[0]);
  EXPECT_EQ(tasks[2], slots[1]);
  EXPECT_EQ(tasks[7], slots[0]);
  for (int t : {3, 5}) EXPECT_EQ(tasks[t], tasks[1]) << "task " << t;
  for (int t : {4, 6}) EXPECT_EQ(tasks[t], tasks[2]) << "task " << t;
}

TEST(SchedulerTest, AfterALostSlotChainsStillFollowTheirHead) {
  std::vector<Slot> before{{"a", "h", 1}, {"b", "h", 1}};
  auto current = plan(chained_pipeline(), before);
  Slot fresh{"c", "h", 1};
  auto after = replan(chained_pipeline(), {before[0], fresh}, current);
  EXPECT_EQ(after[2], fresh);
  for (int t : {4, 6}) EXPECT_EQ(after[t], fresh) << "task " << t;
  for (int t : {1, 3, 5, 7}) EXPECT_EQ(after[t], before[0]) << "task " << t;
}

TEST(SchedulerTest, AChainToAnUnknownTaskIsPlacedOnItsOwn) {
  std::vector<Slot> slots{{"a", "h", 1}, {"b", "h", 1}};
  auto tasks = plan({{1, 1}, {2, 2, 99}, {3, 3, 3}}, slots);
  EXPECT_EQ(tasks[1], slots[0]);
  EXPECT_EQ(tasks[2], slots[1]);
  EXPECT_EQ(tasks[3], slots[0]);
}

}  // namespace
}  // namespace gale::nimbus
