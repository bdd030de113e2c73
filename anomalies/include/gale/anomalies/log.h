#pragma once
// The anomalies raised, open and past, in an SQLite file beside the metric history: kept across
// a restart (what was open is given back to the detector), past ones dropped after `keep_secs`.
// One connection behind a mutex, safe from any thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gale/anomalies/detector.h"
#include "gale/result.h"

struct sqlite3;

namespace gale::anomalies {

class AnomalyLog {
 public:
  static Result<std::unique_ptr<AnomalyLog>> open(const std::filesystem::path& file,
                                                  std::int64_t keep_secs);
  ~AnomalyLog();

  // Gives `a` its id.
  Status raised(Anomaly& a);
  Status cleared(const Anomaly& a);
  // Newest first; open ones only, or every one; of one topology or all ("").
  Result<std::vector<Anomaly>> list(bool open_only, const std::string& topology,
                                    std::size_t limit) const;
  // Drops past anomalies cleared before `now_secs - keep_secs`.
  Status expire(std::int64_t now_secs);

 private:
  AnomalyLog(sqlite3* db, std::int64_t keep_secs) : db_(db), keep_secs_(keep_secs) {}
  sqlite3* db_;
  std::int64_t keep_secs_;
  mutable std::mutex mu_;
};

}  // namespace gale::anomalies
