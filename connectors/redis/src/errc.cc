#include "gale/redis/errc.h"

#include <string>

namespace gale::redis {
namespace {

class RedisCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.redis"; }

  std::string message(int value) const override {
    switch (static_cast<RedisErrc>(value)) {
      case RedisErrc::ok:
        return "ok";
      case RedisErrc::connect:
        return "connect";
      case RedisErrc::io:
        return "io";
      case RedisErrc::timeout:
        return "timeout";
      case RedisErrc::protocol:
        return "protocol";
      case RedisErrc::backoff:
        return "backoff";
      case RedisErrc::invalid_command:
        return "invalid_command";
    }
    return "unknown redis error";
  }
};

}  // namespace

const std::error_category& redis_category() noexcept {
  static const RedisCategory category;
  return category;
}

}  // namespace gale::redis
