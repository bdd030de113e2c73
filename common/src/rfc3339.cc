#include "gale/common/rfc3339.h"

#include <date/date.h>

#include <chrono>
#include <regex>

#include "gale/common/errc.h"

namespace gale {

Result<std::int64_t> parse_rfc3339(std::string_view text) {
  // Date, time, a fraction of any length (seconds are what count here), and the offset as Z or
  // +hh:mm; 't' and 'z' as RFC 3339 allows.
  static const std::regex form(
      R"((\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2})))");
  std::string s(text);
  std::smatch m;
  auto refuse = [&] {
    return make_error(CommonErrc::bad_setting,
                      "'" + s +
                          "' is not a time in RFC 3339 with an offset, such as "
                          "2026-12-05T18:00:00+08:00 or 2026-12-05T10:00:00Z");
  };
  if (!std::regex_match(s, m, form)) return refuse();
  auto n = [&](int i) { return std::stoi(m[i].str()); };
  date::year_month_day day{date::year{n(1)}, date::month{static_cast<unsigned>(n(2))},
                           date::day{static_cast<unsigned>(n(3))}};
  int hour = n(4), minute = n(5), second = n(6);
  int offset = 0;
  if (!m[7].matched) {
    int oh = n(9), om = n(10);
    if (oh > 23 || om > 59) return refuse();
    offset = (m[8] == "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  if (!day.ok() || hour > 23 || minute > 59 || second > 59) return refuse();
  auto days = date::sys_days(day).time_since_epoch().count();
  return std::int64_t{days} * 86400 + hour * 3600 + minute * 60 + second - offset;
}

std::string format_rfc3339(std::int64_t unix_secs) {
  return date::format("%FT%TZ", date::sys_seconds(std::chrono::seconds(unix_secs)));
}

}  // namespace gale
