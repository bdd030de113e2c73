#pragma once
// The metric history: Sampler points as time series in an SQLite file (Debian's libsqlite3),
// at two resolutions: every sample (10 s by default) for `fine_keep_secs` (6 h), and the minute
// averages for `coarse_keep_secs` (7 days). Bounded: at most `max_series` series (a series is a
// topology, component, figure and labels); points of more are not kept, and the first one left
// out is logged. Survives a restart (it is a file); one connection behind a mutex, safe from any
// thread.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gale/metric_history/sampler.h"
#include "gale/result.h"

struct sqlite3;

namespace gale::metric_history {

struct HistoryLimits {
  std::int64_t fine_secs = 10;  // the samples' spacing (nimbus.metrics.history.interval.secs)
  std::int64_t fine_keep_secs = 6 * 3600;
  std::int64_t coarse_secs = 60;
  std::int64_t coarse_keep_secs = 7 * 86400;
  std::size_t max_series = 2000;
};

struct HistoryQuery {
  std::string topology;
  std::string component;           // "" : every component
  std::vector<std::string> names;  // empty: every figure
  std::int64_t from_secs = 0;      // Unix seconds, inclusive
  std::int64_t to_secs = 0;        // inclusive
  // 0: the finest that covers `from_secs` (fine when the range is within fine_keep_secs of
  // now, else coarse); else the fine or the coarse resolution as asked.
  std::int64_t resolution_secs = 0;
};

struct HistorySeries {
  std::string component;
  std::string name;
  MetricLabels labels;
  std::vector<std::pair<std::int64_t, double>> points;  // (Unix seconds, value), oldest first
};

struct HistoryAnswer {
  std::int64_t resolution_secs = 0;
  std::vector<HistorySeries> series;
};

class HistoryStore {
 public:
  // Opens (creating) the file. The error names the file and what SQLite said.
  static Result<std::unique_ptr<HistoryStore>> open(const std::filesystem::path& file,
                                                    HistoryLimits limits = {});
  ~HistoryStore();

  // Keeps `points` at `t_secs` (a sample's time), rolls finished minutes up into the coarse
  // resolution and drops what is past its keep.
  Status record(std::int64_t t_secs, const std::vector<Point>& points);
  // At most 100,000 points in all; a query over that is refused naming the figures.
  Result<HistoryAnswer> query(const HistoryQuery& q, std::int64_t now_secs) const;
  std::size_t series_count() const;
  // Whether any series of `topology` is kept (a killed topology's history stays until it ages
  // out).
  bool knows(const std::string& topology) const;

  static constexpr std::int64_t kMaxPoints = 100000;

 private:
  HistoryStore(sqlite3* db, HistoryLimits limits);
  Status exec(const char* sql) const;
  // Reads the series' ids and the roll-up mark from the file (at open, after a rollback).
  Status load();
  Result<std::int64_t> series_id(const Point& p);
  Status roll_up(std::int64_t t_secs);

  sqlite3* db_;
  HistoryLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> ids_;  // series key -> id
  std::int64_t rolled_until_ = -1;           // coarse points exist for minutes before this
  std::int64_t next_sweep_ = 0;              // when series without points are next forgotten
  bool full_logged_ = false;
};

}  // namespace gale::metric_history
