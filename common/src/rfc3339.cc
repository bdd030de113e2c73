#include "gale/common/rfc3339.h"

#include <date/date.h>

#include <chrono>
#include <sstream>

#include "gale/common/errc.h"

namespace gale {

Result<std::int64_t> parse_rfc3339(std::string_view text) {
  std::string s(text);
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.replace(s.size() - 1, 1, "+00:00");
  if (s.size() > 10 && s[10] == 't') s[10] = 'T';
  std::istringstream in(s);
  date::sys_time<std::chrono::milliseconds> tp;
  in >> date::parse("%FT%T%Ez", tp);
  if (in.fail() || in.peek() != std::char_traits<char>::eof())
    return make_error(CommonErrc::bad_setting,
                      "'" + std::string(text) +
                          "' is not a time in RFC 3339 with an offset, such as "
                          "2026-12-05T18:00:00+08:00 or 2026-12-05T10:00:00Z");
  return std::chrono::floor<std::chrono::seconds>(tp).time_since_epoch().count();
}

std::string format_rfc3339(std::int64_t unix_secs) {
  return date::format("%FT%TZ", date::sys_seconds(std::chrono::seconds(unix_secs)));
}

}  // namespace gale
