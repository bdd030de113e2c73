#include "gale/common/sha256.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace gale {
namespace {

TEST(Sha256Test, OfBytesIsTheKnownDigest) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, OfAFileEqualsOfItsBytes) {
  const auto file =
      std::filesystem::temp_directory_path() /
      ("gale-sha256-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::string bytes(200 * 1024, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  std::ofstream(file, std::ios::binary) << bytes;
  EXPECT_EQ(sha256_hex_of_file(file), sha256_hex(bytes));
  std::filesystem::remove(file);
  EXPECT_THROW(sha256_hex_of_file(file), std::runtime_error);
}

TEST(Sha256Test, HexNamesAreSixtyFourLowerCaseDigits) {
  EXPECT_TRUE(is_sha256_hex(sha256_hex("x")));
  EXPECT_FALSE(is_sha256_hex("abc"));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a') + "g"));
}

}  // namespace
}  // namespace gale
