// RFC 3339 timestamps in UTC, by hand: this runs once per event on the hot path, and the
// calendar arithmetic comes from <chrono>.
#include <chrono>

#include "gale/events/events.h"

namespace gale::events {

namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::sys_days;

void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Reads exactly `width` digits at s[pos]; false if any is not a digit.
bool read_digits(std::string_view s, std::size_t pos, int width, unsigned& value) {
  if (pos + width > s.size()) return false;
  value = 0;
  for (int i = 0; i < width; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

// "+HH:MM" / "-HH:MM" at s[pos], to milliseconds east of UTC.
std::optional<std::int64_t> read_offset(std::string_view s, std::size_t pos) {
  unsigned hours = 0, minutes = 0;
  if (s.size() != pos + 6 || s[pos + 3] != ':') return std::nullopt;
  if (!read_digits(s, pos + 1, 2, hours) || !read_digits(s, pos + 4, 2, minutes))
    return std::nullopt;
  if (hours > 23 || minutes > 59) return std::nullopt;
  std::int64_t ms = (hours * 60 + minutes) * 60'000LL;
  return s[pos] == '-' ? -ms : ms;
}

}  // namespace

std::string format_timestamp(std::int64_t ts_ms) {
  auto t = std::chrono::sys_time<milliseconds>(milliseconds(ts_ms));
  sys_days day = std::chrono::floor<days>(t);
  std::chrono::year_month_day date(day);
  std::int64_t in_day = (t - day).count();
  std::string out = "0000-00-00T00:00:00.000Z";
  put_digits(&out[0], static_cast<unsigned>(static_cast<int>(date.year())), 4);
  put_digits(&out[5], static_cast<unsigned>(date.month()), 2);
  put_digits(&out[8], static_cast<unsigned>(date.day()), 2);
  put_digits(&out[11], static_cast<unsigned>(in_day / 3'600'000), 2);
  put_digits(&out[14], static_cast<unsigned>(in_day / 60'000 % 60), 2);
  put_digits(&out[17], static_cast<unsigned>(in_day / 1000 % 60), 2);
  put_digits(&out[20], static_cast<unsigned>(in_day % 1000), 3);
  return out;
}

std::optional<std::int64_t> parse_timestamp(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z or an offset.
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (!read_digits(s, 0, 4, year) || !read_digits(s, 5, 2, month) || !read_digits(s, 8, 2, day) ||
      !read_digits(s, 11, 2, hour) || !read_digits(s, 14, 2, minute) ||
      !read_digits(s, 17, 2, second))
    return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(static_cast<int>(year)),
                                   std::chrono::month(month), std::chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;

  std::size_t pos = 19;
  unsigned millis = 0;
  if (s[pos] == '.') {
    std::size_t first = ++pos;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos)
      if (pos - first < 3) millis = millis * 10 + static_cast<unsigned>(s[pos] - '0');
    std::size_t digits = pos - first;
    if (digits == 0 || digits > 9) return std::nullopt;
    for (std::size_t d = digits; d < 3; ++d) millis *= 10;
  }
  std::int64_t offset_ms = 0;
  if (pos + 1 == s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    offset_ms = 0;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    auto offset = read_offset(s, pos);
    if (!offset) return std::nullopt;
    offset_ms = *offset;
  } else {
    return std::nullopt;
  }
  std::int64_t days_since_epoch = sys_days(date).time_since_epoch().count();
  return days_since_epoch * 86'400'000 + ((hour * 60 + minute) * 60 + second) * 1000LL + millis -
         offset_ms;
}

}  // namespace gale::events
