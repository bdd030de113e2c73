#include "log_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

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
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd && errno == ENOENT)
    return make_error(SupervisorErrc::no_such_log,
                      "log '" + file.filename().string() + "': no such log on this supervisor");
  if (!fd) return io_error(file, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error(file, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return io_error(file, "not a regular file");
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
  auto bytes = read_at(log->fd.get(), file, page.start - (cut ? 1 : 0), length + (cut ? 1 : 0));
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
  std::deque<LogMatch> last;  // the newest `limit`
  std::string carry;          // the unfinished line at a chunk's end
  std::uint64_t carry_offset = found.scanned_from;
  bool first_line = found.scanned_from > 0;  // a cut line at the scan's start is skipped
  auto consider = [&](std::uint64_t offset, std::string_view line) {
    if (line.find(needle) == std::string_view::npos) return;
    if (last.size() == limit) {
      last.pop_front();
      found.more = true;
    }
    last.push_back({offset, std::string(line.substr(0, kMaxLogLineBytes))});
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
      std::string_view piece = rest.substr(0, newline);
      std::uint64_t line_offset = carry.empty() ? rest_offset : carry_offset;
      if (!carry.empty()) {  // a line over a chunk's end (at most the scan's bytes)
        carry.append(piece);
        piece = carry;
      }
      if (!first_line) consider(line_offset, piece);
      first_line = false;
      carry.clear();
      rest_offset += newline + 1;
      rest.remove_prefix(newline + 1);
    }
    if (!rest.empty()) {
      if (carry.empty()) carry_offset = rest_offset;
      carry.append(rest);
    }
  }
  if (!carry.empty() && !first_line) consider(carry_offset, carry);
  found.matches.assign(std::make_move_iterator(last.begin()), std::make_move_iterator(last.end()));
  return found;
}

}  // namespace gale::supervisor
