#pragma once
// The parts of an http:// URL the client needs.
#include <string>
#include <string_view>

namespace gale::sms {

struct Url {
  std::string host;         // a name, an IPv4 address, or an IPv6 address without brackets
  std::string port;         // "80" unless given
  std::string target;       // path and query, "/" when the URL has none
  std::string host_header;  // the URL's authority, for the Host header
};

// Parses http://host[:port][/path[?query]]. Throws std::invalid_argument naming the URL and
// the problem (https, another scheme, no host, a bad port, user info).
Url parse_url(std::string_view url);

}  // namespace gale::sms
