#include "gale/postgres/errc.h"

#include <string>

namespace gale::postgres {
namespace {

class PostgresCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.postgres"; }

  std::string message(int value) const override {
    switch (static_cast<PostgresErrc>(value)) {
      case PostgresErrc::ok:
        return "ok";
      case PostgresErrc::connect:
        return "connect";
      case PostgresErrc::io:
        return "io";
      case PostgresErrc::timeout:
        return "timeout";
      case PostgresErrc::backoff:
        return "backoff";
      case PostgresErrc::statement:
        return "statement";
      case PostgresErrc::conflict:
        return "conflict";
      case PostgresErrc::schema:
        return "schema";
    }
    return "unknown postgres error";
  }
};

}  // namespace

const std::error_category& postgres_category() noexcept {
  static const PostgresCategory category;
  return category;
}

}  // namespace gale::postgres
