#pragma once
#include <cstdint>

namespace gale::risk {

// The UTC hour (0-23) and minute of an epoch-milliseconds time, also before 1970.
struct TimeOfDay {
  int hour;
  int minute;
};

inline TimeOfDay utc_time_of_day(std::int64_t ts_ms) {
  constexpr std::int64_t ms_per_minute = 60'000;
  constexpr std::int64_t minutes_per_day = 24 * 60;
  std::int64_t minutes = ts_ms / ms_per_minute;
  if (ts_ms % ms_per_minute < 0) --minutes;  // floor, not truncation, before the epoch
  std::int64_t of_day = minutes % minutes_per_day;
  if (of_day < 0) of_day += minutes_per_day;
  return {static_cast<int>(of_day / 60), static_cast<int>(of_day % 60)};
}

}  // namespace gale::risk
