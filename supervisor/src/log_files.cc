#include "log_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>

#include "unique_fd.h"

namespace gale::supervisor {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

Error io_error(const std::filesystem::path& file, std::string_view what) {
  return make_error(SupervisorErrc::io_error,
                    "log '" + file.filename().string() + "': " + std::string(what));
}

struct OpenLog {
  UniqueFd fd;
  std::uint64_t size = 0;
};

Result<OpenLog> open_log(const std::filesystem::path& file) {
  // O_NONBLOCK: a FIFO put in a log's place must not hold the server (its writer never comes).
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd && errno == ENOENT)
    return make_error(SupervisorErrc::no_such_log,
                      "log '" + file.filename().string() + "': no such log on this supervisor");
  if (!fd) return io_error(file, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error(file, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return io_error(file, "not a regular file");
  // A hard link to another file (made by a worker running as the supervisor's user) is not
  // served: a worker's log has one name.
  if (st.st_nlink != 1) return io_error(file, "has more than one name (a hard link)");
  return OpenLog{std::move(fd), static_cast<std::uint64_t>(st.st_size)};
}

// Up to `length` bytes at `offset`; fewer at the end of the file.
Result<std::string> read_at(int fd, const std::filesystem::path& file, std::uint64_t offset,
                            std::size_t length) {
  std::string bytes(length, '\0');
  std::size_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(fd, bytes.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(file, std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

}  // namespace

Result<LogPage> read_log(const std::filesystem::path& file, std::optional<std::uint64_t> start,
                         std::size_t length) {
  auto log = open_log(file);
  if (!log) return log.error();
  LogPage page;
  page.size = log->size;
  const bool tail = !start.has_value();
  page.start = tail ? (log->size > length ? log->size - length : 0) : std::min(*start, log->size);
  // A tail starts at its first whole line: read the byte before it too, to see whether a line
  // ends there.
  const bool cut = tail && page.start > 0;
  // Never past the size read: bytes written since are for the next read, so `end` <= `size`.
  const std::size_t wanted =
      static_cast<std::size_t>(std::min<std::uint64_t>(length, log->size - page.start));
  auto bytes = read_at(log->fd.get(), file, page.start - (cut ? 1 : 0), wanted + (cut ? 1 : 0));
  if (!bytes) return bytes.error();
  page.text = std::move(*bytes);
  if (cut) {
    auto newline = page.text.find('\n');
    // No whole line in the page (the last one is longer): its end is shown.
    if (newline == std::string::npos || newline + 1 == page.text.size()) newline = 0;
    page.text.erase(0, newline + 1);
    page.start += newline;
  }
  return page;
}

Result<LogSearch> search_log(const std::filesystem::path& file, std::string_view needle,
                             std::size_t limit) {
  auto log = open_log(file);
  if (!log) return log.error();
  LogSearch found;
  found.size = log->size;
  found.scanned_from = log->size > kMaxLogSearchBytes ? log->size - kMaxLogSearchBytes : 0;
  const std::boyer_moore_horspool_searcher searcher(needle.begin(), needle.end());
  auto holds = [&](std::string_view text) {
    return std::search(text.begin(), text.end(), searcher) != text.end();
  };
  std::deque<LogMatch> last;  // the newest `limit`
  // The line being read, in bounded memory however long it is: its first kMaxLogLineBytes
  // (what a match shows), its last needle.size() - 1 bytes (a match may span two chunks), and
  // whether it matched so far.
  std::string head, overlap;
  std::uint64_t line_offset = found.scanned_from;
  bool matched = false;
  // The scan starts mid-line unless the byte before it ends a line: that cut line is skipped.
  bool skipping = false;
  if (found.scanned_from > 0) {
    auto before = read_at(log->fd.get(), file, found.scanned_from - 1, 1);
    if (!before) return before.error();
    skipping = *before != "\n";
  }
  std::string window;  // overlap + the start of the next piece, reused
  auto add_to_line = [&](std::string_view piece) {
    if (head.size() < kMaxLogLineBytes)
      head.append(piece.substr(0, kMaxLogLineBytes - head.size()));
    if (needle.size() > 1) {
      window.assign(overlap);
      window.append(piece.substr(0, needle.size() - 1));  // enough to find one across the seam
      if (!matched && holds(window)) matched = true;
      const std::size_t keep = needle.size() - 1;
      overlap.append(piece.substr(piece.size() > keep ? piece.size() - keep : 0));
      if (overlap.size() > keep) overlap.erase(0, overlap.size() - keep);
    }
    if (!matched && holds(piece)) matched = true;
  };
  auto end_line = [&](std::uint64_t next_offset) {
    if (!skipping && matched) {
      if (last.size() == limit) {
        last.pop_front();
        found.more = true;
      }
      last.push_back({line_offset, head});
    }
    skipping = false;
    matched = false;
    head.clear();
    overlap.clear();
    line_offset = next_offset;
  };
  for (std::uint64_t at = found.scanned_from; at < log->size;) {
    auto chunk =
        read_at(log->fd.get(), file, at,
                static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, log->size - at)));
    if (!chunk) return chunk.error();
    if (chunk->empty()) break;  // the file shrank meanwhile
    std::string_view rest(*chunk);
    std::uint64_t rest_offset = at;
    at += chunk->size();
    for (auto newline = rest.find('\n'); newline != std::string_view::npos;
         newline = rest.find('\n')) {
      add_to_line(rest.substr(0, newline));
      rest_offset += newline + 1;
      rest.remove_prefix(newline + 1);
      end_line(rest_offset);
    }
    if (!rest.empty()) add_to_line(rest);
  }
  if (line_offset < log->size) end_line(log->size);  // a last line without its newline
  found.matches.assign(std::make_move_iterator(last.begin()), std::make_move_iterator(last.end()));
  return found;
}

}  // namespace gale::supervisor
