#include "gale/metric_history/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace gale::metric_history {
namespace {

using ::testing::HasSubstr;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) /
        ("history-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<HistoryStore> open(HistoryLimits limits = {}) {
    auto store = HistoryStore::open(dir_ / "metrics.db", limits);
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  std::filesystem::path dir_;
};

Point point(const std::string& name, double value, MetricLabels labels = {}) {
  return {"risk", "rules", name, std::move(labels), value};
}

std::vector<double> values(const HistorySeries& s) {
  std::vector<double> out;
  for (const auto& [t, v] : s.points) out.push_back(v);
  return out;
}

constexpr std::int64_t kT0 = 1'800'000'000;  // a whole minute

TEST_F(StoreTest, SamplesAreKeptAndMinutesRolledUpIntoTheirAverages) {
  auto store = open();
  // Three minutes of samples every 10 s: executed_per_sec = 0, 1, 2, ... 17.
  for (int i = 0; i < 18; ++i)
    ASSERT_TRUE(store->record(kT0 + 10 * i, {point("executed_per_sec", i),
                                             point("app.alerts.per_sec", 1, {{"rule", "r"}})}));
  ASSERT_TRUE(store->record(kT0 + 180, {point("executed_per_sec", 18)}));
  std::int64_t now = kT0 + 180;

  auto fine = store->query({"risk", "", {"executed_per_sec"}, kT0, now, 0}, now);
  ASSERT_TRUE(fine) << fine.error().message;
  EXPECT_EQ(fine->resolution_secs, 10);
  ASSERT_EQ(fine->series.size(), 1u);
  EXPECT_EQ(fine->series[0].points.size(), 19u);
  EXPECT_EQ(fine->series[0].points.front(), (std::pair<std::int64_t, double>{kT0, 0}));

  auto coarse = store->query({"risk", "rules", {"executed_per_sec"}, kT0, now, 60}, now);
  ASSERT_TRUE(coarse) << coarse.error().message;
  EXPECT_EQ(coarse->resolution_secs, 60);
  ASSERT_EQ(coarse->series.size(), 1u);
  // The three finished minutes: the averages of 0..5, 6..11, 12..17.
  EXPECT_EQ(values(coarse->series[0]), (std::vector<double>{2.5, 8.5, 14.5}));
  EXPECT_EQ(coarse->series[0].points[1].first, kT0 + 60);

  // Labels come back, and every figure when none is named.
  auto all = store->query({"risk", "", {}, kT0, now, 0}, now);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->series.size(), 2u);
  EXPECT_EQ(all->series[0].name, "app.alerts.per_sec");
  EXPECT_EQ(all->series[0].labels, (MetricLabels{{"rule", "r"}}));
  EXPECT_TRUE(store->query({"other", "", {}, kT0, now, 0}, now)->series.empty());
}

TEST_F(StoreTest, PointsPastTheirKeepAreDroppedAndAnOldRangeIsServedCoarse) {
  HistoryLimits limits;
  limits.fine_keep_secs = 120;
  limits.coarse_keep_secs = 600;
  auto store = open(limits);
  for (int i = 0; i <= 90; ++i)  // 15 minutes
    ASSERT_TRUE(store->record(kT0 + 10 * i, {point("executed_per_sec", 1)}));
  std::int64_t now = kT0 + 900;
  auto fine = store->query({"risk", "", {}, kT0, now, 10}, now);
  ASSERT_TRUE(fine);
  ASSERT_EQ(fine->series.size(), 1u);
  EXPECT_EQ(fine->series[0].points.front().first, now - 120);
  auto coarse = store->query({"risk", "", {}, kT0, now, 0}, now);  // from beyond the fine keep
  ASSERT_TRUE(coarse);
  EXPECT_EQ(coarse->resolution_secs, 60);
  ASSERT_EQ(coarse->series.size(), 1u);
  EXPECT_EQ(coarse->series[0].points.front().first, now - 600);
  EXPECT_EQ(coarse->series[0].points.size(), 10u);
}

TEST_F(StoreTest, SeriesPastTheLimitAreNotKept) {
  HistoryLimits limits;
  limits.max_series = 3;
  auto store = open(limits);
  std::vector<Point> five;
  for (int i = 0; i < 5; ++i) five.push_back(point("app.x", i, {{"n", std::to_string(i)}}));
  ASSERT_TRUE(store->record(kT0, five));
  EXPECT_EQ(store->series_count(), 3u);
  auto all = store->query({"risk", "", {}, kT0, kT0, 0}, kT0);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->series.size(), 3u);
}

TEST_F(StoreTest, TheHistoryOutlivesTheProcessAndGoesOn) {
  {
    auto store = open();
    for (int i = 0; i < 6; ++i)
      ASSERT_TRUE(store->record(kT0 + 10 * i, {point("executed_per_sec", 4)}));
  }
  auto store = open();
  EXPECT_EQ(store->series_count(), 1u);
  for (int i = 6; i < 13; ++i)
    ASSERT_TRUE(store->record(kT0 + 10 * i, {point("executed_per_sec", 8)}));
  std::int64_t now = kT0 + 120;
  auto fine = store->query({"risk", "", {}, kT0, now, 10}, now);
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->series[0].points.size(), 13u);
  auto coarse = store->query({"risk", "", {}, kT0, now, 60}, now);
  ASSERT_TRUE(coarse);
  EXPECT_EQ(values(coarse->series[0]), (std::vector<double>{4, 8}));
}

TEST_F(StoreTest, BadQueriesAreRefusedNamingTheProblem) {
  auto store = open();
  std::vector<Point> many;
  for (int s = 0; s < 1000; ++s) many.push_back(point("app.x", s, {{"n", std::to_string(s)}}));
  for (int i = 0; i < 101; ++i) ASSERT_TRUE(store->record(kT0 + 10 * i, many));
  std::int64_t now = kT0 + 1010;
  auto big = store->query({"risk", "", {}, kT0, now, 10}, now);
  ASSERT_FALSE(big);
  EXPECT_THAT(big.error().message, HasSubstr("more than 100000 points"));
  auto resolution = store->query({"risk", "", {}, kT0, now, 30}, now);
  ASSERT_FALSE(resolution);
  EXPECT_THAT(resolution.error().message, HasSubstr("'resolution' must be 10 or 60"));
}

TEST_F(StoreTest, AnUnwritablePlaceIsNamed) {
  std::filesystem::create_directories(dir_);
  std::filesystem::create_directories(dir_ / "metrics.db");  // a directory where the file goes
  auto store = HistoryStore::open(dir_ / "metrics.db");
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, HasSubstr("metrics.db"));
}

}  // namespace
}  // namespace gale::metric_history
