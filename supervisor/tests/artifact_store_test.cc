// ArtifactStore with NimbusClient::download against the in-test artifact server.
#include "artifact_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "artifact_server.h"
#include "gale/nimbus/client.h"
#include "test_support.h"

namespace gale::supervisor {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

class ArtifactStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  testing::ArtifactServer server_;
  ArtifactStore store_{
      dir_.path() / "artifacts",
      [this](std::string_view sha256, const std::filesystem::path& destination) -> Status {
        nimbus::NimbusClient client({"127.0.0.1", server_.port(), "", {}, 5s});
        auto done =
            client.download("/api/v1/artifacts/" + std::string(sha256), destination, 1 << 20);
        if (!done) return make_error(SupervisorErrc::download_failed, done.error().message);
        return Status{};
      }};
};

TEST(Sha256Test, MatchesTheKnownDigestOfAbc) {
  testing::TempDir dir;
  write_file(dir.path() / "abc", "abc");
  auto digest = sha256_of_file(dir.path() / "abc");
  ASSERT_TRUE(digest);
  EXPECT_EQ(*digest, kAbcSha256);
}

TEST_F(ArtifactStoreTest, DownloadsVerifiesAndKeepsAnArtifact) {
  server_.put(kAbcSha256, "abc");
  auto path = store_.ensure(kAbcSha256);
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, dir_.path() / "artifacts" / (std::string(kAbcSha256) + ".so"));
  EXPECT_EQ(testing::read_text(*path), "abc");
  ASSERT_TRUE(store_.ensure(kAbcSha256));
  EXPECT_EQ(server_.requests(), 1);             // the second call used the verified file
  EXPECT_EQ(server_.last_authorization(), "");  // plain HTTP: no token (docs/SECURITY.md)
}

TEST_F(ArtifactStoreTest, RefusesBytesThatDoNotMatchTheirSha256) {
  server_.put(kAbcSha256, "not abc");
  auto path = store_.ensure(kAbcSha256);
  ASSERT_FALSE(path);
  EXPECT_EQ(path.code(), SupervisorErrc::checksum_mismatch);
  EXPECT_NE(path.error().message.find("refused"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "artifacts"));
}

TEST_F(ArtifactStoreTest, ReplacesACorruptFileFoundOnDisk) {
  std::filesystem::create_directories(dir_.path() / "artifacts");
  write_file(store_.path_of(kAbcSha256), "corrupt");
  server_.put(kAbcSha256, "abc");
  auto path = store_.ensure(kAbcSha256);
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(testing::read_text(*path), "abc");
}

TEST_F(ArtifactStoreTest, RefusesANameThatIsNotASha256) {
  auto path = store_.ensure("../../etc/passwd");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.code(), SupervisorErrc::bad_setting);
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(ArtifactStoreTest, UnknownArtifactIsADownloadError) {
  auto path = store_.ensure(kAbcSha256);
  ASSERT_FALSE(path);
  EXPECT_EQ(path.code(), SupervisorErrc::download_failed);
  EXPECT_NE(path.error().message.find("HTTP 404"), std::string::npos) << path.error().message;
}

TEST(NimbusDownloadTest, ATokenIsNeverSentWithoutTls) {
  testing::TempDir dir;
  testing::ArtifactServer server;
  server.put(kAbcSha256, "abc");
  nimbus::NimbusClient client({"127.0.0.1", server.port(), "sup.secret", {}, 5s});
  auto done =
      client.download("/api/v1/artifacts/" + std::string(kAbcSha256), dir.path() / "x", 1 << 20);
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().message.find("security.tls.ca.file"), std::string::npos);
  EXPECT_EQ(server.requests(), 0);
}

TEST(NimbusDownloadTest, UnreachableServerIsAnError) {
  testing::TempDir dir;
  int closed_port = 0;
  {
    testing::ArtifactServer gone;  // a port that was just free and is closed again
    closed_port = gone.port();
  }
  nimbus::NimbusClient client({"127.0.0.1", closed_port, "", {}, 2s});
  auto done = client.download("/x", dir.path() / "x", 1 << 20);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.code(), nimbus::NimbusErrc::unreachable);
}

}  // namespace
}  // namespace gale::supervisor
