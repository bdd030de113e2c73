#include "gale/metrics/series.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gale::metrics {
namespace {

using ::testing::HasSubstr;

Series counter(std::string name, MetricLabels labels, double value) {
  Series s;
  s.name = std::move(name);
  s.labels = std::move(labels);
  s.value = value;
  return s;
}

Series histogram(std::vector<double> bounds, std::vector<std::uint64_t> buckets, double sum) {
  Series s;
  s.name = "latency_seconds";
  s.kind = Kind::histogram;
  s.bounds = std::move(bounds);
  s.buckets = std::move(buckets);
  s.sum = sum;
  return s;
}

TEST(MetricSeriesTest, NamesAreCheckedAndTheErrorNamesThem) {
  EXPECT_TRUE(check_name("alerts"));
  EXPECT_TRUE(check_name("_sms_sent2"));
  for (const char* bad : {"", "Alerts", "2fast", "a-b", "a.b", "sms sent"}) {
    auto ok = check_name(bad);
    ASSERT_FALSE(ok) << bad;
    EXPECT_THAT(ok.error().message, HasSubstr("'" + std::string(bad) + "'"));
  }
  EXPECT_FALSE(check_name(std::string(kMaxMetricNameLength + 1, 'a')));
  auto suffix = check_name("alerts_total");
  ASSERT_FALSE(suffix);
  EXPECT_THAT(suffix.error().message, HasSubstr("_total"));
}

TEST(MetricSeriesTest, LabelsAreSortedAndBadOnesRefused) {
  MetricLabels labels{{"severity", "high"}, {"rule", "night-transfer"}};
  ASSERT_TRUE(check_labels(labels));
  EXPECT_EQ(labels.front().first, "rule");

  MetricLabels reserved{{"topology", "x"}};
  auto r = check_labels(reserved);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("'topology' is Gale's own"));
  MetricLabels twice{{"rule", "a"}, {"rule", "b"}};
  EXPECT_THAT(check_labels(twice).error().message, HasSubstr("given twice"));
  MetricLabels long_value{{"account", std::string(kMaxMetricLabelValue + 1, '9')}};
  EXPECT_THAT(check_labels(long_value).error().message, HasSubstr("over 128 bytes"));
  MetricLabels many{{"a", ""}, {"b", ""}, {"c", ""}, {"d", ""}, {"e", ""}};
  EXPECT_THAT(check_labels(many).error().message, HasSubstr("at most 4 labels"));
  MetricLabels dunder{{"__name__", "x"}};
  EXPECT_FALSE(check_labels(dunder));
}

TEST(MetricSeriesTest, BoundsMustBeFiniteAndAscending) {
  EXPECT_TRUE(check_bounds({0.001, 0.01, 0.1, 1}));
  EXPECT_THAT(check_bounds({}).error().message, HasSubstr("1 to 32"));
  EXPECT_THAT(check_bounds({1, 1}).error().message, HasSubstr("ascend"));
  EXPECT_THAT(check_bounds({1, std::numeric_limits<double>::infinity()}).error().message,
              HasSubstr("finite"));
  EXPECT_FALSE(check_bounds(std::vector<double>(33, 0.0)));
}

TEST(MetricSeriesTest, MergeAddsTheSameSeriesAndKeepsOthersApart) {
  std::vector<Series> all;
  ASSERT_TRUE(merge(all, counter("alerts", {{"rule", "a"}}, 3)));
  ASSERT_TRUE(merge(all, counter("alerts", {{"rule", "b"}}, 1)));
  ASSERT_TRUE(merge(all, counter("alerts", {{"rule", "a"}}, 4)));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].value, 7);
  EXPECT_EQ(all[1].value, 1);

  Series gauge = counter("alerts", {{"rule", "c"}}, 1);
  gauge.kind = Kind::gauge;
  auto conflict = merge(all, gauge);
  ASSERT_FALSE(conflict);
  EXPECT_THAT(conflict.error().message, HasSubstr("is a gauge here and a counter elsewhere"));
  EXPECT_EQ(all.size(), 2u);

  std::vector<Series> h;
  ASSERT_TRUE(merge(h, histogram({1, 2}, {1, 2, 3}, 10)));
  ASSERT_TRUE(merge(h, histogram({1, 2}, {1, 0, 1}, 5)));
  EXPECT_EQ(h[0].buckets, (std::vector<std::uint64_t>{2, 2, 4}));
  EXPECT_EQ(h[0].sum, 15);
  EXPECT_EQ(h[0].count(), 8u);
  EXPECT_THAT(merge(h, histogram({1, 3}, {0, 0, 0}, 0)).error().message,
              HasSubstr("other bucket bounds"));
}

TEST(MetricSeriesTest, ALatestGaugeKeepsTheValueSetLast) {
  auto total = [](double value, std::int64_t updated_ms) {
    Series s = counter("institution_balance", {{"institution", "inst-01"}}, value);
    s.kind = Kind::gauge;
    s.combine = GaugeCombine::latest;
    s.updated_ms = updated_ms;
    return s;
  };
  std::vector<Series> all;
  ASSERT_TRUE(merge(all, total(100, 2000)));
  ASSERT_TRUE(merge(all, total(90, 1000)));  // an older reading
  ASSERT_TRUE(merge(all, total(120, 3000)));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].value, 120);
  EXPECT_EQ(all[0].updated_ms, 3000);
  Series summed = total(1, 4000);
  summed.combine = GaugeCombine::sum;
  EXPECT_THAT(merge(all, summed).error().message, HasSubstr("sum in one place and latest"));
  auto back = series_from_json(to_json(all[0]));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->combine, GaugeCombine::latest);
  EXPECT_EQ(back->updated_ms, 3000);
}

TEST(MetricSeriesTest, QuantilesInterpolateInsideTheirBucket) {
  // 10 observations in (0, 10], 10 in (10, 20].
  Series h = histogram({10, 20}, {10, 10, 0}, 0);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 10);
  EXPECT_DOUBLE_EQ(h.quantile(0.25), 5);
  EXPECT_DOUBLE_EQ(h.quantile(0.75), 15);
  // Above every bound: the last bound.
  EXPECT_DOUBLE_EQ(histogram({10, 20}, {0, 0, 5}, 0).quantile(0.99), 20);
  EXPECT_DOUBLE_EQ(histogram({10, 20}, {0, 0, 0}, 0).quantile(0.5), 0);
}

TEST(MetricSeriesTest, JsonRoundTripsAndMalformedSeriesAreNamed) {
  Series h = histogram({0.5, 1}, {1, 2, 3}, 4.5);
  h.labels = {{"rule", "velocity"}};
  auto back = series_from_json(to_json(h));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->name, h.name);
  EXPECT_EQ(back->kind, Kind::histogram);
  EXPECT_EQ(back->labels, h.labels);
  EXPECT_EQ(back->bounds, h.bounds);
  EXPECT_EQ(back->buckets, h.buckets);
  EXPECT_EQ(back->sum, 4.5);
  auto c = series_from_json(to_json(counter("sms_sent", {}, 12)));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->value, 12);

  using nlohmann::json;
  EXPECT_THAT(series_from_json(json::array()).error().message, HasSubstr("not a JSON object"));
  EXPECT_THAT(series_from_json(json{{"name", "x"}, {"kind", "meter"}}).error().message,
              HasSubstr("kind 'meter'"));
  EXPECT_THAT(series_from_json(json{{"name", "x"}, {"kind", "counter"}}).error().message,
              HasSubstr("no number 'value'"));
  json short_buckets = to_json(h);
  short_buckets["buckets"] = {1, 2};
  EXPECT_THAT(series_from_json(short_buckets).error().message, HasSubstr("2 buckets for 2 bounds"));
  json bad_label = to_json(h);
  bad_label["labels"] = {{"worker", "w"}};
  EXPECT_FALSE(series_from_json(bad_label));
  json negative = to_json(h);
  negative["buckets"] = {1, -2, 3};
  EXPECT_FALSE(series_from_json(negative));
}

}  // namespace
}  // namespace gale::metrics
