#include "gale/risk/time_zone.h"

#include <date/tz.h>

#include <stdexcept>
#include <string>

namespace gale::risk {
namespace {

constexpr std::int64_t ms_per_minute = 60'000;
constexpr std::int64_t minutes_per_day = 24 * 60;

// Hour and minute of `minutes` since some midnight, floored (also for negative counts).
TimeOfDay of_day(std::int64_t minutes) {
  std::int64_t m = minutes % minutes_per_day;
  if (m < 0) m += minutes_per_day;
  return {static_cast<int>(m / 60), static_cast<int>(m % 60)};
}

std::int64_t floor_minutes(std::int64_t ms) {
  std::int64_t minutes = ms / ms_per_minute;
  if (ms % ms_per_minute < 0) --minutes;  // floor, not truncation, before the epoch
  return minutes;
}

}  // namespace

std::optional<TimeZone> TimeZone::locate(std::string_view name) {
  if (name == "UTC") return TimeZone();
  try {
    return TimeZone(date::locate_zone(std::string(name)));
  } catch (const std::runtime_error&) {  // the date library's "not found in timezone database"
    return std::nullopt;
  }
}

TimeOfDay TimeZone::time_of_day(std::int64_t ts_ms) const {
  if (!zone_) return of_day(floor_minutes(ts_ms));
  const auto local =
      zone_->to_local(date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ts_ms)));
  return of_day(floor_minutes(local.time_since_epoch().count()));
}

std::string_view TimeZone::name() const {
  return zone_ ? std::string_view(zone_->name()) : std::string_view("UTC");
}

}  // namespace gale::risk
