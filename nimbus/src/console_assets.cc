#include "console_assets.h"

#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>

#include "gale/nimbus/errors.h"

namespace gale::nimbus {

namespace {

constexpr std::string_view kPrefix = "/ui/";

// The console loads scripts, styles and data from this Nimbus only, runs no inline script, and
// may not be framed (clickjacking an operator's "kill").
constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

std::optional<std::string> content_type(const std::filesystem::path& file) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}};
  auto it = kTypes.find(file.extension().string());
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

HttpResponse page(int status, std::string content_type, std::string body) {
  HttpResponse out{status, std::move(content_type), std::move(body), {}};
  out.headers = {{"Content-Security-Policy", kPolicy},
                 {"X-Frame-Options", "DENY"},
                 {"Referrer-Policy", "no-referrer"},
                 // Small, and replaced with Nimbus: always asked again (a 200 each time).
                 {"Cache-Control", "no-cache"}};
  return out;
}

}  // namespace

Result<ConsoleAssets> ConsoleAssets::load(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return make_error(NimbusErrc::internal,
                      "nimbus.ui.dir: '" + dir.string() + "' is not a folder");
  ConsoleAssets out;
  std::size_t bytes = 0;
  std::filesystem::recursive_directory_iterator it(dir, ec), end;
  if (ec)
    return make_error(NimbusErrc::internal,
                      "nimbus.ui.dir: cannot list '" + dir.string() + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec)
      return make_error(NimbusErrc::internal,
                        "nimbus.ui.dir: cannot list '" + dir.string() + "': " + ec.message());
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    auto type = content_type(it->path());
    if (!type) continue;  // source maps, READMEs, licences: not served
    if (out.files_.size() == kMaxFiles)
      return make_error(NimbusErrc::internal, "nimbus.ui.dir: '" + dir.string() +
                                                  "' holds more than " + std::to_string(kMaxFiles) +
                                                  " files to serve");
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in && !in.eof())
      return make_error(NimbusErrc::internal,
                        "nimbus.ui.dir: cannot read '" + it->path().string() + "'");
    bytes += body.view().size();
    if (bytes > kMaxBytes)
      return make_error(NimbusErrc::internal,
                        "nimbus.ui.dir: '" + dir.string() + "' holds more than " +
                            std::to_string(kMaxBytes / (1024 * 1024)) + " MiB to serve");
    auto name = std::filesystem::relative(it->path(), dir).generic_string();
    out.files_[name] = File{*type, std::move(body).str()};
  }
  if (!out.files_.contains("index.html"))
    return make_error(NimbusErrc::internal,
                      "nimbus.ui.dir: '" + dir.string() +
                          "' has no index.html (build it with scripts/build-console.sh)");
  return out;
}

std::optional<HttpResponse> ConsoleAssets::serve(const std::string& target) const {
  std::string_view path = target;
  path = path.substr(0, path.find('?'));
  if (path == "/" || path == "/ui") {
    auto out = page(302, "text/plain; charset=utf-8", "the console is at /ui/\n");
    out.headers.emplace_back("Location", "/ui/");
    return out;
  }
  if (!path.starts_with(kPrefix)) return std::nullopt;
  std::string_view name = path.substr(kPrefix.size());
  if (name.empty()) name = "index.html";
  if (files_.empty())
    return page(404, "text/plain; charset=utf-8",
                "this Nimbus has no console: build it with scripts/build-console.sh, or set "
                "nimbus.ui.dir\n");
  auto it = files_.find(name);
  if (it == files_.end()) return page(404, "text/plain; charset=utf-8", "no such file\n");
  return page(200, it->second.content_type, it->second.body);
}

std::optional<std::filesystem::path> default_console_dir() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  auto dir = self.parent_path().parent_path() / "share" / "gale" / "console";
  if (std::filesystem::is_regular_file(dir / "index.html", ec)) return dir;
  return std::nullopt;
}

}  // namespace gale::nimbus
