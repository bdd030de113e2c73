#include "gale/common/version.h"

#include "gale/version.h"

namespace gale {

std::string_view release() {
  return GALE_RELEASE;
}

std::string version_text(std::string_view program) {
  return std::string(program) + " " + std::string(release()) + " (topology API " +
         std::to_string(kApiVersion) + ")";
}

}  // namespace gale
