#include "gale/anomalies/log.h"

#include <gtest/gtest.h>

namespace gale::anomalies {
namespace {

std::filesystem::path fresh_dir() {
  auto dir =
      std::filesystem::path(::testing::TempDir()) /
      ("anomalies-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  std::filesystem::remove_all(dir);
  return dir;
}

Anomaly anomaly(const std::string& topology, std::int64_t raised) {
  Anomaly a;
  a.rule = "worker_restarted";
  a.severity = "warning";
  a.topology = topology;
  a.worker = "h:1";
  a.message = "the worker at h:1 restarted";
  a.raised_secs = raised;
  return a;
}

TEST(AnomalyLogTest, OpenAndPastAnomaliesAreKeptAcrossAReopenAndExpire) {
  auto dir = fresh_dir();
  {
    auto log = AnomalyLog::open(dir / "anomalies.db", 1000);
    ASSERT_TRUE(log) << log.error().message;
    Anomaly a = anomaly("risk", 100), b = anomaly("sms", 200), c = anomaly("risk", 300);
    ASSERT_TRUE((*log)->raised(a));
    ASSERT_TRUE((*log)->raised(b));
    ASSERT_TRUE((*log)->raised(c));
    EXPECT_LT(a.id, b.id);
    a.cleared_secs = 150;
    ASSERT_TRUE((*log)->cleared(a));
  }
  auto log = AnomalyLog::open(dir / "anomalies.db", 1000);
  ASSERT_TRUE(log);
  auto open = (*log)->list(true, "", 100);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].topology, "risk");  // newest first
  EXPECT_EQ((*open)[0].raised_secs, 300);
  EXPECT_FALSE((*open)[0].cleared_secs);
  auto risk = (*log)->list(false, "risk", 100);
  ASSERT_TRUE(risk);
  ASSERT_EQ(risk->size(), 2u);
  EXPECT_EQ((*risk)[1].cleared_secs, 150);
  EXPECT_EQ((*risk)[1].message, "the worker at h:1 restarted");
  EXPECT_EQ((*log)->list(false, "", 1)->size(), 1u);
  // Past ones older than the keep go; open ones stay whatever their age.
  ASSERT_TRUE((*log)->expire(1151));
  EXPECT_EQ((*log)->list(false, "", 100)->size(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gale::anomalies
