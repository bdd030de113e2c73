#include "gale/common/version.h"

#include <gtest/gtest.h>

#include <regex>

#include "gale/version.h"

namespace gale {
namespace {

TEST(VersionTest, NamesTheProgramTheReleaseAndTheTopologyApi) {
  EXPECT_TRUE(std::regex_match(std::string(release()), std::regex(R"(\d+\.\d+\.\d+)")))
      << release();
  EXPECT_EQ(version_text("gale-nimbus"), "gale-nimbus " + std::string(release()) +
                                             " (topology API " + std::to_string(GALE_API_VERSION) +
                                             ")");
}

}  // namespace
}  // namespace gale
