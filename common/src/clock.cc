#include "gale/common/clock.h"

namespace gale {

std::shared_ptr<Clock> SystemClock::shared() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

}  // namespace gale
