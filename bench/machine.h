#pragma once
// What a benchmark prints about the machine it ran on: cores, CPU model and the load average,
// so that a reader can tell a busy machine's figures from a quiet one's.
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace gale::bench {

inline std::string first_line_of(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// "load average at start: 1.84 2.97 3.13 (1, 5, 15 min)"
inline void print_load(const char* when) {
  std::istringstream loadavg(first_line_of("/proc/loadavg"));
  std::string m1, m5, m15;
  loadavg >> m1 >> m5 >> m15;
  fmt::print("load average {}: {} {} {} (1, 5, 15 min)\n", when, m1, m5, m15);
}

inline void print_machine(const char* benchmark) {
  fmt::print("{}: {} hardware threads, {}\n", benchmark, std::thread::hardware_concurrency(),
             cpu_model());
  print_load("at start");
}

}  // namespace gale::bench
