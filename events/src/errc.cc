#include "gale/events/errc.h"

#include <string>

namespace gale::events {
namespace {

class EventsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gale.events"; }

  std::string message(int value) const override {
    switch (static_cast<EventsErrc>(value)) {
      case EventsErrc::ok:
        return "ok";
      case EventsErrc::not_json:
        return "not JSON";
      case EventsErrc::missing_field:
        return "missing field";
      case EventsErrc::invalid_field:
        return "invalid field";
    }
    return "unknown events error";
  }
};

}  // namespace

const std::error_category& events_category() noexcept {
  static const EventsCategory category;
  return category;
}

}  // namespace gale::events
