#include "gale/common/base64.h"

#include <gtest/gtest.h>

#include <vector>

namespace gale {
namespace {

TEST(Base64Test, RoundTripsEveryPaddingLength) {
  for (const std::string& bytes :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto decoded = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(decoded.has_value()) << bytes;
    EXPECT_EQ(*decoded, bytes);
  }
  EXPECT_EQ(base64_encode("\xff\xfe"), "//4=");
}

TEST(Base64Test, RejectsMalformedText) {
  EXPECT_FALSE(base64_decode("abc").has_value());
  EXPECT_FALSE(base64_decode("a*c=").has_value());
}

}  // namespace
}  // namespace gale
