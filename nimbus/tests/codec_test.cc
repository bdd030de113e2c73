// Base64 and SHA-256 as the submit path uses them.
#include "codec.h"

#include <gtest/gtest.h>

#include <vector>

namespace gale::nimbus {
namespace {

TEST(CodecTest, Base64RoundTripsEveryPaddingLength) {
  for (const std::string& bytes :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto decoded = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(decoded.has_value()) << bytes;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(CodecTest, Base64RejectsMalformedText) {
  EXPECT_FALSE(base64_decode("abc").has_value());
  EXPECT_FALSE(base64_decode("a*c=").has_value());
}

TEST(CodecTest, Sha256MatchesTheKnownDigest) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace gale::nimbus
