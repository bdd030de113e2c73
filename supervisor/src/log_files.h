#pragma once
// Reading a worker's log for the log server (log_server.h): a page of it, its tail, or the
// lines that hold a text. Every read is bounded, whatever the file's size; the file is opened
// without following a symlink and must be a regular file.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/supervisor/errc.h"

namespace gale::supervisor {

inline constexpr std::size_t kMaxLogPageBytes = std::size_t{1} << 20;         // one page
inline constexpr std::uint64_t kMaxLogSearchBytes = std::uint64_t{64} << 20;  // one search scans
inline constexpr std::size_t kMaxLogMatches = 1000;
inline constexpr std::size_t kMaxLogLineBytes = 2048;  // a longer matching line is cut
inline constexpr std::size_t kMaxLogNeedleBytes = 256;

struct LogPage {
  std::uint64_t size = 0;   // the file's size when read
  std::uint64_t start = 0;  // offset of text's first byte
  std::string text;         // raw bytes (not necessarily whole UTF-8)
};

struct LogMatch {
  std::uint64_t offset = 0;  // of the line's first byte
  std::string line;          // without its newline, cut at kMaxLogLineBytes
};

struct LogSearch {
  std::uint64_t size = 0;
  std::uint64_t scanned_from = 0;  // the search read [scanned_from, size): the last 64 MiB
  std::vector<LogMatch> matches;   // in file order: the last `limit` that matched
  bool more = false;               // earlier matches were dropped to keep `limit`
};

// Bytes [start, start + length) of the file, cut at its end. Without `start`, its last
// `length` bytes from the first whole line among them (the whole file if shorter). io_error
// naming the file if it is not a regular file or unreadable, no_such_log if it is missing; `length`
// is at most kMaxLogPageBytes (the caller checks).
Result<LogPage> read_log(const std::filesystem::path& file, std::optional<std::uint64_t> start,
                         std::size_t length);

// The lines of the file's last kMaxLogSearchBytes that contain `needle` (bytes, case
// sensitive; 1 to kMaxLogNeedleBytes), the last `limit` (1 to kMaxLogMatches) of them.
Result<LogSearch> search_log(const std::filesystem::path& file, std::string_view needle,
                             std::size_t limit);

}  // namespace gale::supervisor
