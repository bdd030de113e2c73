#pragma once
// The console's files (console/, built by scripts/build-console.sh), read into memory when
// Nimbus starts and served at /ui/. A request names a file only by a key of this map: nothing
// of a request's path ever reaches the file system.
//
// The files hold no data: every figure the console shows it asks the API for, with the
// operator's token. So they are served without one, as /api/v1/health is (docs/CONSOLE.md).
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "gale/common/result.h"
#include "gale/nimbus/http_server.h"

namespace gale::nimbus {

class ConsoleAssets {
 public:
  static constexpr std::size_t kMaxFiles = 200;
  static constexpr std::size_t kMaxBytes = 32 * 1024 * 1024;

  // Reads every regular file under `dir` (symbolic links are not followed). internal naming the
  // folder or file that cannot be read, or the limit passed.
  static Result<ConsoleAssets> load(const std::filesystem::path& dir);
  // No console: every /ui/ request is answered 404 saying how to build one.
  ConsoleAssets() = default;

  // The answer to a GET of `target` ("/", "/ui", "/ui/", "/ui/app.js?v=1"), or nothing when the
  // target is not the console's.
  std::optional<HttpResponse> serve(const std::string& target) const;

  std::size_t size() const { return files_.size(); }

 private:
  struct File {
    std::string content_type;
    std::string body;
  };
  std::map<std::string, File, std::less<>> files_;  // by path under the folder, "app.js"
};

// Where the console is when nimbus.ui.dir is empty: <dir of gale-nimbus>/../share/gale/console
// (installed, and in a build tree, which has the same layout); nothing if it is not there.
std::optional<std::filesystem::path> default_console_dir();

}  // namespace gale::nimbus
