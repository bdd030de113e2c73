#pragma once
// Process-wide logging on spdlog. Daemons and `gale local` call init_logging once at start.
#include <spdlog/spdlog.h>

#include <string>

namespace gale {

// level: "trace", "debug", "info", "warn", "error". Logs go to stderr.
void init_logging(const std::string& level = "info");

}  // namespace gale
