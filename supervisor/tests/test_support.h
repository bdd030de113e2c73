#pragma once
// Helpers shared by the supervisor's tests: temporary folders, polling with a deadline, the
// fake worker's records, scoped environment variables.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gale::supervisor::testing {

// A fresh folder under the system's temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Sets an environment variable (inherited by children launched meanwhile); restores it after.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

// Polls `condition` every 20 ms until it holds (true) or `timeout` passes (false).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// What tests/fake_worker.cc recorded for one port.
struct FakeWorkerRecord {
  pid_t pid = 0;
  std::vector<std::string> argv;
};
std::optional<FakeWorkerRecord> read_record(const std::filesystem::path& dir, int port);

bool process_alive(pid_t pid);
std::string read_text(const std::filesystem::path& file);

}  // namespace gale::supervisor::testing
