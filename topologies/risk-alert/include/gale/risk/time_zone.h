#pragma once
// The zone a rule reads the time of day in: an IANA zone ("Asia/Shanghai") from the system's
// time-zone database (Debian's tzdata, through Howard Hinnant's date library, which reads
// /usr/share/zoneinfo), or UTC. Daylight saving time is the database's.
//
// Threading: a TimeZone is an immutable handle on the database; any thread may use it.
#include <cstdint>
#include <optional>
#include <string_view>

namespace date {
class time_zone;
}

namespace gale::risk {

// The local hour (0-23) and minute of a time.
struct TimeOfDay {
  int hour;
  int minute;
};

class TimeZone {
 public:
  TimeZone() = default;  // UTC

  // The zone named `name`, or nothing when the database has no such zone. "UTC" is UTC.
  static std::optional<TimeZone> locate(std::string_view name);

  // The local time of day at `ts_ms` (milliseconds since the epoch, also before 1970).
  TimeOfDay time_of_day(std::int64_t ts_ms) const;
  std::string_view name() const;

  friend bool operator==(const TimeZone&, const TimeZone&) = default;

 private:
  explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}
  const date::time_zone* zone_ = nullptr;  // null: UTC, without the database
};

}  // namespace gale::risk
