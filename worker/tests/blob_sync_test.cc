// BlobSync over an InMemoryStore: blobs land as files, a replacement replaces the file whole,
// and an unchanged blob is not rewritten.
#include "blob_sync.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gale/coordination/in_memory_store.h"

namespace gale::worker {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(BlobSyncTest, WritesNewAndChangedBlobsAndLeavesUnchangedOnes) {
  coordination::InMemoryStore store;
  coordination::ClusterState state(store);
  ASSERT_TRUE(state.init());
  auto dir =
      std::filesystem::temp_directory_path() / ("gale-blob-sync-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  BlobSync sync(state, "risk-1", dir / "blobs");

  EXPECT_EQ(sync.sync().error().message, "") << "no blobs yet is fine";
  ASSERT_TRUE(state.set_blob("risk-1", "rules", "v1"));
  ASSERT_TRUE(state.set_blob("other-1", "rules", "not ours"));
  EXPECT_EQ(sync.sync().error().message, "");
  EXPECT_EQ(read_file(dir / "blobs" / "rules"), "v1");

  // An unchanged blob is left alone: a local edit stays until the blob changes.
  { std::ofstream(dir / "blobs" / "rules") << "edited"; }
  EXPECT_EQ(sync.sync().error().message, "");
  EXPECT_EQ(read_file(dir / "blobs" / "rules"), "edited");

  ASSERT_TRUE(state.set_blob("risk-1", "rules", "v2"));
  EXPECT_EQ(sync.sync().error().message, "");
  EXPECT_EQ(read_file(dir / "blobs" / "rules"), "v2");
  EXPECT_FALSE(std::filesystem::exists(dir / "blobs" / ".rules.new"));
  std::filesystem::remove_all(dir);
}

TEST(BlobSyncTest, AnUnwritableFolderIsReported) {
  coordination::InMemoryStore store;
  coordination::ClusterState state(store);
  ASSERT_TRUE(state.init());
  auto file =
      std::filesystem::temp_directory_path() / ("gale-blob-file-" + std::to_string(::getpid()));
  { std::ofstream(file) << "a file, not a folder"; }
  BlobSync sync(state, "risk-1", file / "blobs");
  ASSERT_TRUE(state.set_blob("risk-1", "rules", "v1"));
  auto error = sync.sync().error().message;
  EXPECT_NE(error.find("blobs folder"), std::string::npos) << error;
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace gale::worker
