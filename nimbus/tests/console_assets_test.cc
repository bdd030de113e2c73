// The console's files as Nimbus serves them (console_assets.h): only files read at start, by
// their names, with the security headers; nothing of a request's path reaches the disk.
#include "console_assets.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gale::nimbus {
namespace {

namespace fs = std::filesystem;

class ConsoleAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gale-console-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "views");
    write("index.html", "<!doctype html><title>Gale</title>");
    write("app.js", "export const x = 1;");
    write("views/cluster.js", "export function mount() {}");
    write("notes.md", "not served");
    // A secret beside the folder: no target may reach it.
    std::ofstream(dir_.parent_path() / ("gale-console-secret-" + std::to_string(::getpid())))
        << "secret";
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove(dir_.parent_path() / ("gale-console-secret-" + std::to_string(::getpid())));
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  static std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  fs::path dir_;
};

TEST_F(ConsoleAssetsTest, ServesTheFilesReadAtStartWithTheirTypesAndSecurityHeaders) {
  auto assets = ConsoleAssets::load(dir_);
  ASSERT_TRUE(assets.ok()) << assets.error().message;
  EXPECT_EQ(assets->size(), 3u);  // notes.md is not a type the console serves

  auto index = assets->serve("/ui/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->body, "<!doctype html><title>Gale</title>");
  EXPECT_NE(header(*index, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_NE(header(*index, "Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(header(*index, "X-Frame-Options"), "DENY");

  auto script = assets->serve("/ui/views/cluster.js?v=2");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script->body, "export function mount() {}");

  for (const char* root : {"/", "/ui"}) {
    auto moved = assets->serve(root);
    ASSERT_TRUE(moved) << root;
    EXPECT_EQ(moved->status, 302) << root;
    EXPECT_EQ(header(*moved, "Location"), "/ui/") << root;
  }
  EXPECT_FALSE(assets->serve("/api/v1/topologies"));  // not the console's: the API's
  EXPECT_FALSE(assets->serve("/metrics"));
}

TEST_F(ConsoleAssetsTest, NoTargetReachesAFileThatWasNotReadAtStart) {
  auto assets = ConsoleAssets::load(dir_);
  ASSERT_TRUE(assets.ok());
  write("later.js", "written after the start");
  const std::string secret = "gale-console-secret-" + std::to_string(::getpid());
  for (const std::string& target :
       std::vector<std::string>{"/ui/later.js", "/ui/notes.md", "/ui/../" + secret,
                                "/ui/%2e%2e/" + secret, "/ui//etc/passwd", "/ui/views/../app.js",
                                "/ui/views", "/ui/" + dir_.string() + "/app.js"}) {
    auto answer = assets->serve(target);
    ASSERT_TRUE(answer) << target;
    EXPECT_EQ(answer->status, 404) << target;
    EXPECT_EQ(answer->body, "no such file\n") << target;
  }
}

TEST_F(ConsoleAssetsTest, AFolderThatCannotBeServedIsNamed) {
  auto missing = ConsoleAssets::load(dir_ / "absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("absent' is not a folder"), std::string::npos)
      << missing.error().message;

  fs::remove(dir_ / "index.html");
  auto no_index = ConsoleAssets::load(dir_);
  ASSERT_FALSE(no_index.ok());
  EXPECT_NE(no_index.error().message.find("has no index.html"), std::string::npos)
      << no_index.error().message;

  write("index.html", "x");
  for (std::size_t i = 0; i < ConsoleAssets::kMaxFiles; ++i)
    write("f" + std::to_string(i) + ".js", "x");
  auto too_many = ConsoleAssets::load(dir_);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("more than 200 files"), std::string::npos)
      << too_many.error().message;
}

TEST_F(ConsoleAssetsTest, WithoutAConsoleEveryPageSaysHowToBuildOne) {
  ConsoleAssets none;
  auto answer = none.serve("/ui/");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 404);
  EXPECT_NE(answer->body.find("scripts/build-console.sh"), std::string::npos);
}

}  // namespace
}  // namespace gale::nimbus
