#include "gale/common/rfc3339.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gale {
namespace {

TEST(Rfc3339Test, TimesWithAnOffsetAreUnixSeconds) {
  EXPECT_EQ(*parse_rfc3339("2026-12-05T10:00:00Z"), 1796464800);
  EXPECT_EQ(*parse_rfc3339("2026-12-05T18:00:00+08:00"), 1796464800);
  EXPECT_EQ(*parse_rfc3339("2026-12-05T05:00:00-05:00"), 1796464800);
  EXPECT_EQ(*parse_rfc3339("2026-12-05t10:00:00.750z"), 1796464800);
  EXPECT_EQ(*parse_rfc3339("2026-12-05T10:00:00.123456+00:00"), 1796464800);  // Python's
  EXPECT_EQ(format_rfc3339(1796464800), "2026-12-05T10:00:00Z");
}

TEST(Rfc3339Test, ATimeWithoutAnOffsetOrNotATimeIsRefusedNamingIt) {
  for (const char* bad :
       {"2026-12-05T18:00:00", "2026-12-05", "tomorrow", "", "2026-12-05T18:00:00+08",
        "2026-13-05T18:00:00Z", "2026-12-05T18:00:00+08:00 junk"}) {
    auto r = parse_rfc3339(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("RFC 3339 with an offset")) << bad;
  }
}

}  // namespace
}  // namespace gale
