// Each grouping routes as specified.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "groupings.h"

namespace gale::runtime {
namespace {

struct Route {
  Grouping grouping;
  Fields stream_fields{"key", "n"};
  std::vector<int> source_tasks{1, 2};
  std::vector<int> targets{3, 4, 5, 6};
  std::vector<int> worker_tasks{1, 2, 3, 4, 5, 6};
  std::string component = "source", stream = "default";

  std::unique_ptr<StreamGrouping> chooser(std::uint64_t seed = 1, bool chained = false) {
    return make_grouping({&grouping, &component, &stream, &stream_fields, &source_tasks, &targets,
                          &worker_tasks, nullptr, seed, chained});
  }
};

std::vector<int> choose(StreamGrouping& c, const Values& v, int source_task = 1) {
  std::vector<int> out;
  c.choose(source_task, v, out);
  return out;
}

TEST(GroupingTest, ShuffleSpreadsEvenlyOverAllTasks) {
  Route r{{Grouping::Kind::shuffle, {}, {}}};
  auto c = r.chooser();
  std::map<int, int> hits;
  for (int i = 0; i < 4000; ++i) {
    auto t = choose(*c, {"k", i});
    ASSERT_EQ(t.size(), 1u);
    ++hits[t[0]];
  }
  ASSERT_EQ(hits.size(), 4u);
  for (auto& [task, n] : hits) EXPECT_EQ(n, 1000) << "task " << task;
}

TEST(GroupingTest, FieldsSendsTheSameKeyToTheSameTaskInEveryEmitter) {
  Route r{{Grouping::Kind::fields, {"key"}, {}}};
  auto a = r.chooser(1), b = r.chooser(99);  // two emitting executors
  std::set<int> used;
  for (int k = 0; k < 200; ++k) {
    std::string key = "key-" + std::to_string(k);
    auto first = choose(*a, {key, 1});
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(choose(*a, {key, 2}), first) << "other fields must not matter";
    EXPECT_EQ(choose(*b, {key, 3}), first) << "another emitter chose differently";
    used.insert(first[0]);
  }
  EXPECT_EQ(used.size(), 4u) << "200 keys should reach all 4 tasks";
}

TEST(GroupingTest, AllSendsToEveryTask) {
  Route r{{Grouping::Kind::all, {}, {}}};
  EXPECT_EQ(choose(*r.chooser(), {"k", 1}), (std::vector<int>{3, 4, 5, 6}));
}

TEST(GroupingTest, GlobalSendsToTheLowestTask) {
  Route r{{Grouping::Kind::global, {}, {}}};
  auto c = r.chooser();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(choose(*c, {"k", i}), std::vector<int>{3});
}

TEST(GroupingTest, NoneBehavesAsShuffle) {
  Route r{{Grouping::Kind::none, {}, {}}};
  auto c = r.chooser();
  std::set<int> seen;
  for (int i = 0; i < 8; ++i) seen.insert(choose(*c, {"k", i})[0]);
  EXPECT_EQ(seen, (std::set<int>{3, 4, 5, 6}));
}

TEST(GroupingTest, LocalOrShufflePrefersTasksInThisWorker) {
  Route r{{Grouping::Kind::local_or_shuffle, {}, {}}};
  r.worker_tasks = {1, 2, 5};
  auto c = r.chooser();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(choose(*c, {"k", i}), std::vector<int>{5});
  r.worker_tasks = {1, 2};  // none local: falls back to all
  auto all = r.chooser();
  std::set<int> seen;
  for (int i = 0; i < 8; ++i) seen.insert(choose(*all, {"k", i})[0]);
  EXPECT_EQ(seen.size(), 4u);
}

TEST(GroupingTest, PartialKeySplitsAHotKeyEvenlyOverTwoTasks) {
  Route r{{Grouping::Kind::partial_key, {"key"}, {}}};
  r.targets = {1, 2, 3, 4, 5, 6, 7, 8};
  int split_keys = 0;
  for (int k = 0; k < 50; ++k) {
    auto c = r.chooser();
    std::map<int, int> hits;
    for (int i = 0; i < 1000; ++i) ++hits[choose(*c, {"hot-" + std::to_string(k), i})[0]];
    ASSERT_LE(hits.size(), 2u) << "a key went to more than two tasks";
    if (hits.size() == 2) {
      ++split_keys;
      for (auto& [task, n] : hits) EXPECT_EQ(n, 500) << "unbalanced split of key " << k;
    }
  }
  // Keys whose two hashes land on the same task (1 in 8) stay on one task.
  EXPECT_GT(split_keys, 35);
}

TEST(GroupingTest, DirectHasNoChooser) {
  Route r{{Grouping::Kind::direct, {}, {}}};
  EXPECT_EQ(r.chooser(), nullptr);
}

TEST(GroupingTest, CustomGroupingIsPreparedWithTargetsAndChooses) {
  struct LastTask : CustomStreamGrouping {
    std::vector<int> targets;
    void prepare(const TopologyContext&, const std::string&, const std::string&,
                 const std::vector<int>& t) override {
      targets = t;
    }
    void choose_tasks(int, const Values&, std::vector<int>& out) override {
      out.push_back(targets.back());
    }
  };
  Route r{{Grouping::Kind::custom, {}, [] { return std::make_unique<LastTask>(); }}};
  EXPECT_EQ(choose(*r.chooser(), {"k", 1}), std::vector<int>{6});
}

TEST(GroupingTest, FieldsHashDependsOnlyOnTheGroupedFields) {
  EXPECT_EQ(hash_fields({"alpha", 1}, {0}), hash_fields({"alpha", 2}, {0}));
  EXPECT_NE(hash_fields({"alpha", 1}, {0}), hash_fields({"beta", 1}, {0}));
  EXPECT_NE(hash_fields({"alpha", 1}, {0, 1}), hash_fields({"alpha", 2}, {0, 1}));
}

TEST(GroupingTest, OneToOneSendsTaskKToTaskK) {
  Route r{{Grouping::Kind::one_to_one, {}, {}}};
  r.source_tasks = {1, 2, 3, 4};
  auto c = r.chooser();
  for (int k = 0; k < 4; ++k) {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(choose(*c, {"k", i}, 1 + k), std::vector<int>{3 + k});
  }
}

TEST(GroupingTest, AChainedSubscriptionSendsToThePartnerTaskWhateverItsGrouping) {
  for (auto kind : {Grouping::Kind::local_or_shuffle, Grouping::Kind::none}) {
    Route r{{kind, {}, {}}};
    r.source_tasks = {7, 8, 9, 10};
    auto c = r.chooser(1, true);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(choose(*c, {"k", i}, 9), std::vector<int>{5});
  }
}

}  // namespace
}  // namespace gale::runtime
