#include "gale/common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace gale {

void init_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("gale");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%t] %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace gale
