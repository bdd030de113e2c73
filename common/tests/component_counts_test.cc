// The one "component=count" parser: what the CLI's and gale-worker's -e flags accept.
#include "gale/common/component_counts.h"

#include <gtest/gtest.h>

namespace gale {
namespace {

TEST(ComponentCountsTest, EachComponentGetsItsCountAndALaterEntryWins) {
  auto counts = parse_component_counts({"split=4", "count=2", "split=3"});
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(*counts, (ComponentCounts{{"count", 2}, {"split", 3}}));
}

TEST(ComponentCountsTest, ZeroNegativeAndNonNumbersAreRefusedNamingTheEntry) {
  for (const char* bad : {"split=0", "split=-1", "split=x", "split=2x", "split=", "=2", "split",
                          "split= 2", "split=99999999999"}) {
    auto counts = parse_component_counts({"count=2", bad});
    ASSERT_FALSE(counts) << bad;
    EXPECT_EQ(counts.error().message,
              std::string("-e '") + bad + "': expected component=executors (a whole number >= 1)");
  }
}

}  // namespace
}  // namespace gale
