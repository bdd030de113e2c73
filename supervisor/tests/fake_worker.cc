// A stand-in for gale-worker in the supervisor's tests. It records how it was started in
// $GALE_FAKE_WORKER_DIR/<port>.argv (its pid on the first line, then one argv element per line,
// replaced atomically), writes one line to stdout and one to stderr, then either exits with
// $GALE_FAKE_WORKER_EXIT (when set) or runs until a signal kills it. It also exits when its
// parent goes, so that a crashed test leaves nothing behind.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

namespace {

std::string port_of(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--port") return argv[i + 1];
  }
  return "unknown";
}

void record(const std::filesystem::path& dir, const std::string& port, int argc, char** argv) {
  const auto final_path = dir / (port + ".argv");
  const auto partial = dir / (port + ".argv." + std::to_string(::getpid()));
  {
    std::ofstream out(partial);
    out << ::getpid() << "\n";
    for (int i = 0; i < argc; ++i) out << argv[i] << "\n";
  }
  std::filesystem::rename(partial, final_path);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string port = port_of(argc, argv);
  if (const char* dir = std::getenv("GALE_FAKE_WORKER_DIR")) record(dir, port, argc, argv);
  std::printf("fake worker on port %s: stdout\n", port.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "fake worker on port %s: stderr\n", port.c_str());
  if (const char* code = std::getenv("GALE_FAKE_WORKER_EXIT")) return std::atoi(code);
  const pid_t parent = ::getppid();
  while (::getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return 0;
}
