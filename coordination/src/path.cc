#include <string>

#include "gale/coordination/state_store.h"

namespace gale::coordination {
namespace {

Error invalid(std::string_view path, std::string_view why) {
  return make_error(StoreErrc::invalid_path,
                    "invalid path '" + std::string(path) + "': " + std::string(why));
}

}  // namespace

Status validate_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return invalid(path, "not absolute");
  if (path == "/") return {};
  if (path.back() == '/') return invalid(path, "trailing slash");
  if (path.find('\0') != std::string_view::npos) return invalid(path, "NUL character");
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view component = path.substr(start, end - start);
    if (component.empty()) return invalid(path, "empty component");
    if (component == "." || component == "..") return invalid(path, "'.' or '..' component");
    start = end + 1;
  }
  return {};
}

std::string parent_path(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == 0 ? std::string("/") : std::string(path.substr(0, slash));
}

std::string join_path(std::string_view parent, std::string_view child) {
  std::string joined(parent);
  if (joined != "/") joined += '/';
  joined += child;
  return joined;
}

}  // namespace gale::coordination
