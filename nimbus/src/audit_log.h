#pragma once
// AuditLog: Nimbus's record of every state-changing API call and every 401 and 403, one JSON
// object per line (docs/SECURITY.md has the fields), in <storm.local.dir>/audit/audit.log.
// Each line is written with one append and fdatasync'd before the call's answer leaves, so an
// answered change is on disk. At max_bytes the file is renamed audit.log.1 (older ones shift
// up, beyond max_files they are deleted). The folder and files are mode 0700/0600.
// Thread-safe (one mutex).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "gale/nimbus/errors.h"

namespace gale::nimbus {

class AuditLog {
 public:
  struct Options {
    std::filesystem::path dir;
    std::uint64_t max_bytes = 0;  // nimbus.audit.max.bytes
    int max_files = 0;            // nimbus.audit.max.files
  };

  // Creates the folder if needed and opens the log for appending; internal naming the path
  // if it cannot.
  static Result<std::unique_ptr<AuditLog>> open(Options options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends `entry` as one line and syncs it; internal naming the file if it cannot.
  Status append(const nlohmann::json& entry);
  // Whether the last append failed (and none has succeeded since).
  bool failing() const;
  // The last `limit` entries, oldest first, across the current and the rotated files.
  Result<nlohmann::json> recent(std::size_t limit) const;

  std::filesystem::path path() const { return options_.dir / "audit.log"; }

 private:
  explicit AuditLog(Options options) : options_(std::move(options)) {}
  Status open_file();
  Status rotate();
  std::filesystem::path rotated(int n) const;

  Options options_;
  mutable std::mutex mutex_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  bool failing_ = false;
};

}  // namespace gale::nimbus
