#include "gale/metrics/prometheus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gale::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ExpositionTest, FamiliesComeOnceWithTheirSamplesTogether) {
  Exposition e;
  e.add("gale_component_acked_total", Exposition::Type::counter, "Tuples acked",
        {{"topology", "risk"}, {"component", "rules"}}, 12);
  e.add("gale_worker_uptime_seconds", Exposition::Type::gauge, "Uptime", {{"worker", "h:1"}}, 2.5);
  e.add("gale_component_acked_total", Exposition::Type::counter, "ignored",
        {{"topology", "risk"}, {"component", "parse"}}, 3);
  EXPECT_EQ(e.text(),
            "# HELP gale_component_acked_total Tuples acked\n"
            "# TYPE gale_component_acked_total counter\n"
            "gale_component_acked_total{topology=\"risk\",component=\"rules\"} 12\n"
            "gale_component_acked_total{topology=\"risk\",component=\"parse\"} 3\n"
            "# HELP gale_worker_uptime_seconds Uptime\n"
            "# TYPE gale_worker_uptime_seconds gauge\n"
            "gale_worker_uptime_seconds{worker=\"h:1\"} 2.5\n");
}

TEST(ExpositionTest, LabelValuesAndHelpAreEscaped) {
  Exposition e;
  e.add("gale_x", Exposition::Type::gauge, "line\\one\nline two", {{"a", "q\"b\\c\nd"}}, 1);
  EXPECT_EQ(e.text(),
            "# HELP gale_x line\\\\one\\nline two\n"
            "# TYPE gale_x gauge\n"
            "gale_x{a=\"q\\\"b\\\\c\\nd\"} 1\n");
}

TEST(ExpositionTest, HistogramBucketsAreCumulativeWithInf) {
  Exposition e;
  e.add_histogram("gale_app_amount", "Amounts", {{"topology", "t"}}, {10, 100}, {2, 3, 1}, 412.5);
  EXPECT_EQ(e.text(),
            "# HELP gale_app_amount Amounts\n"
            "# TYPE gale_app_amount histogram\n"
            "gale_app_amount_bucket{topology=\"t\",le=\"10\"} 2\n"
            "gale_app_amount_bucket{topology=\"t\",le=\"100\"} 5\n"
            "gale_app_amount_bucket{topology=\"t\",le=\"+Inf\"} 6\n"
            "gale_app_amount_sum{topology=\"t\"} 412.5\n"
            "gale_app_amount_count{topology=\"t\"} 6\n");
}

TEST(ExpositionTest, SeriesBecomeAppFamiliesAndAClashingTypeIsLeftOut) {
  Series alerts;
  alerts.name = "alerts";
  alerts.labels = {{"rule", "night-transfer"}};
  alerts.value = 4;
  Series level;
  level.name = "alerts";  // a gauge under the counter's name would be gale_app_alerts
  level.kind = Kind::gauge;
  level.value = 1;
  Series other;
  other.name = "alerts";
  other.kind = Kind::histogram;
  other.bounds = {1};
  other.buckets = {1, 0};
  Exposition e;
  e.add_series(alerts, {{"topology", "risk"}});
  e.add_series(level, {{"topology", "other"}});
  e.add_series(other, {{"topology", "third"}});
  std::string text = e.text();
  EXPECT_THAT(text,
              HasSubstr("# TYPE gale_app_alerts_total counter\n"
                        "gale_app_alerts_total{topology=\"risk\",rule=\"night-transfer\"} 4\n"));
  EXPECT_THAT(text,
              HasSubstr("# TYPE gale_app_alerts gauge\ngale_app_alerts{topology=\"other\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("third")));
}

TEST(ExpositionTest, NumbersAreWrittenAsPrometheusReadsThem) {
  Exposition e;
  e.add("a", Exposition::Type::gauge, "", {}, 1e20);
  e.add("b", Exposition::Type::gauge, "", {}, std::numeric_limits<double>::quiet_NaN());
  e.add("c", Exposition::Type::gauge, "", {}, -std::numeric_limits<double>::infinity());
  e.add("d", Exposition::Type::gauge, "", {}, 0.125);
  std::string text = e.text();
  EXPECT_THAT(text, HasSubstr("\na 1e+20\n"));
  EXPECT_THAT(text, HasSubstr("\nb NaN\n"));
  EXPECT_THAT(text, HasSubstr("\nc -Inf\n"));
  EXPECT_THAT(text, HasSubstr("\nd 0.125\n"));
}

}  // namespace
}  // namespace gale::metrics
