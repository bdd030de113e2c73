#include "gale/query/errc.h"

#include <string>

namespace gale::query {
namespace {

class QueryCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.query"; }
  std::string message(int value) const override {
    switch (static_cast<QueryErrc>(value)) {
      case QueryErrc::ok:
        return "ok";
      case QueryErrc::bad_template:
        return "bad_template";
      case QueryErrc::bad_request:
        return "bad_request";
      case QueryErrc::not_found:
        return "not_found";
      case QueryErrc::unavailable:
        return "unavailable";
      case QueryErrc::timeout:
        return "timeout";
      case QueryErrc::internal:
        return "internal";
    }
    return "unknown query error";
  }
};

}  // namespace

const std::error_category& query_category() noexcept {
  static const QueryCategory category;
  return category;
}

int http_status(QueryErrc e) noexcept {
  switch (e) {
    case QueryErrc::ok:
      return 200;
    case QueryErrc::bad_request:
      return 400;
    case QueryErrc::not_found:
      return 404;
    case QueryErrc::unavailable:
      return 503;
    case QueryErrc::timeout:
      return 504;
    case QueryErrc::bad_template:
    case QueryErrc::internal:
      return 500;
  }
  return 500;
}

}  // namespace gale::query
