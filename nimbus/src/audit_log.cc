#include "audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

namespace gale::nimbus {

namespace {

Error io_failure(const std::string& what, const std::filesystem::path& path) {
  return make_error(NimbusErrc::internal, "audit log: cannot " + what + " " + path.string() + ": " +
                                              std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(Options options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return make_error(NimbusErrc::internal,
                      "audit log: cannot create " + options.dir.string() + ": " + ec.message());
  ::chmod(options.dir.c_str(), 0700);
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(options)));
  if (auto opened = log->open_file(); !opened) return opened.error();
  return log;
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status AuditLog::open_file() {
  fd_ = ::open(path().c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return io_failure("open", path());
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return io_failure("stat", path());
  size_ = static_cast<std::uint64_t>(st.st_size);
  return {};
}

std::filesystem::path AuditLog::rotated(int n) const {
  return options_.dir / ("audit.log." + std::to_string(n));
}

Status AuditLog::rotate() {
  ::close(fd_);
  fd_ = -1;
  std::error_code ignored;
  std::filesystem::remove(rotated(options_.max_files), ignored);
  for (int n = options_.max_files - 1; n >= 1; --n)
    if (std::filesystem::exists(rotated(n)))
      std::filesystem::rename(rotated(n), rotated(n + 1), ignored);
  if (::rename(path().c_str(), rotated(1).c_str()) != 0) return io_failure("rotate", path());
  return open_file();
}

Status AuditLog::append(const nlohmann::json& entry) {
  std::string line = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mutex_);
  failing_ = true;  // until this line is on disk
  if (fd_ < 0) {
    if (auto reopened = open_file(); !reopened) return reopened;
  }
  if (size_ > 0 && size_ + line.size() > options_.max_bytes) {
    if (auto done = rotate(); !done) return done;
  }
  // O_APPEND: one write puts the whole line at the end (a short write would be a full disk).
  ssize_t written = ::write(fd_, line.data(), line.size());
  if (written > 0) size_ += static_cast<std::uint64_t>(written);
  if (written != static_cast<ssize_t>(line.size())) return io_failure("write", path());
  if (::fdatasync(fd_) != 0) return io_failure("sync", path());
  failing_ = false;
  return {};
}

bool AuditLog::failing() const {
  std::lock_guard lock(mutex_);
  return failing_;
}

Result<nlohmann::json> AuditLog::recent(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::deque<std::string> lines;  // oldest first
  for (int n = 0; n <= options_.max_files && lines.size() < limit; ++n) {
    auto file = n == 0 ? path() : rotated(n);
    std::ifstream in(file);
    if (!in) break;
    std::deque<std::string> these;
    for (std::string line; std::getline(in, line);) {
      these.push_back(std::move(line));
      if (these.size() > limit - lines.size()) these.pop_front();
    }
    lines.insert(lines.begin(), these.begin(), these.end());
  }
  auto entries = nlohmann::json::array();
  for (const auto& line : lines) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) entries.push_back(std::move(parsed));
  }
  return entries;
}

}  // namespace gale::nimbus
