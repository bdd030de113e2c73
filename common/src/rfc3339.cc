#include "gale/common/rfc3339.h"

#include <date/date.h>

#include <chrono>
#include <regex>
#include <sstream>

#include "gale/common/errc.h"

namespace gale {

Result<std::int64_t> parse_rfc3339(std::string_view text) {
  std::string s(text);
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.replace(s.size() - 1, 1, "+00:00");
  if (s.size() > 10 && s[10] == 't') s[10] = 'T';
  // A fraction of any length (seconds are what count here), and the offset as +hh:mm.
  static const std::regex form(R"((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:\d{2}))");
  std::smatch m;
  bool shaped = std::regex_match(s, m, form);
  std::istringstream in(shaped ? m[1].str() + m[3].str() : std::string());
  date::sys_seconds tp;
  in >> date::parse("%FT%T%Ez", tp);
  if (!shaped || in.fail() || in.peek() != std::char_traits<char>::eof())
    return make_error(CommonErrc::bad_setting,
                      "'" + std::string(text) +
                          "' is not a time in RFC 3339 with an offset, such as "
                          "2026-12-05T18:00:00+08:00 or 2026-12-05T10:00:00Z");
  return tp.time_since_epoch().count();
}

std::string format_rfc3339(std::int64_t unix_secs) {
  return date::format("%FT%TZ", date::sys_seconds(std::chrono::seconds(unix_secs)));
}

}  // namespace gale
