#include "url.h"

#include <charconv>
#include <stdexcept>

namespace gale::sms {

namespace {

std::invalid_argument bad_url(std::string_view url, const std::string& why) {
  return std::invalid_argument("sms gateway URL \"" + std::string(url) + "\": " + why);
}

}  // namespace

Url parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://")) throw bad_url(url, "https is not supported, only http://");
  if (!url.starts_with(kScheme)) throw bad_url(url, "expected http://host[:port][/path]");
  std::string_view rest = url.substr(kScheme.size());
  std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  Url out;
  out.host_header = std::string(authority);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() != '/') out.target.insert(0, "/");
  if (std::size_t hash = out.target.find('#'); hash != std::string::npos) out.target.erase(hash);
  if (authority.find('@') != std::string_view::npos)
    throw bad_url(url, "user info is not supported");

  std::string_view port;
  if (authority.starts_with("[")) {  // [IPv6]:port
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw bad_url(url, "unclosed [ in the host");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(":")) throw bad_url(url, "unexpected text after ]");
    if (!after.empty()) port = after.substr(1);
  } else {
    std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) throw bad_url(url, "no host");
  if (port.empty()) {
    out.port = "80";
    return out;
  }
  int number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
    throw bad_url(url, "port \"" + std::string(port) + "\" is not a number in [1, 65535]");
  }
  out.port = std::string(port);
  return out;
}

}  // namespace gale::sms
