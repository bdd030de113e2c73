// Loading packaged topologies: each wrong file gets an error that names the problem.
#include <gtest/gtest.h>

#include <fstream>

#include "gale/runtime/topology_loader.h"
#include "gale/version.h"

namespace gale::runtime {
namespace {

const std::string kDir = GALE_TEST_TOPOLOGY_DIR;

std::string load_error(const std::string& path) {
  auto r = load_topology(path, Config{});
  return r ? "" : r.error().message;
}

TEST(LoaderTest, LoadsWordCountWithItsComponents) {
  auto r = load_topology(kDir + "/word_count.so", Config{});
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto& t = r.value();
  EXPECT_EQ(t.name, "word_count");
  ASSERT_NE(t.topology.find("split"), nullptr);
  EXPECT_NE(t.topology.find_stream("count", "default"), nullptr);
}

TEST(LoaderTest, TextFileIsNotASharedLibrary) {
  std::string path = ::testing::TempDir() + "/not-a-library.txt";
  std::ofstream(path) << "hello, I am text\n";
  {
    std::string e = load_error(path);
    EXPECT_NE(e.find("is not a shared library"), std::string::npos) << e;
    EXPECT_NE(e.find(path), std::string::npos) << e;
  }
}

TEST(LoaderTest, MissingFileIsNamed) {
  std::string e = load_error("/nonexistent/topology.so");
  EXPECT_NE(e.find("cannot open topology '/nonexistent/topology.so'"), std::string::npos) << e;
}

TEST(LoaderTest, LibraryWithoutEntryPointIsRefused) {
  std::string e = load_error(kDir + "/test_no_entry.so");
  EXPECT_NE(e.find("has no entry point 'gale_topology_entry'"), std::string::npos) << e;
}

TEST(LoaderTest, OtherApiVersionIsRefusedBeforeAnythingRuns) {
  std::string e = load_error(kDir + "/test_bad_version.so");
  EXPECT_NE(e.find("API version 999"), std::string::npos) << e;
  EXPECT_NE(e.find("this gale has version " + std::to_string(gale::kApiVersion)), std::string::npos)
      << e;
}

TEST(LoaderTest, InvalidTopologyIsRejectedWithTheProblem) {
  std::string e = load_error(kDir + "/test_invalid.so");
  EXPECT_NE(e.find("unknown component 'sourse'"), std::string::npos) << e;
}

}  // namespace
}  // namespace gale::runtime
