#pragma once
// SMS templates per language (templates/default.yaml is the format): a message text from an
// account change and the customer's profile. Placeholders are named ({name}, {amount}, ...);
// an unknown placeholder is refused when the templates load, not when a message is rendered.
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "gale/events/events.h"
#include "gale/notify/errc.h"
#include "gale/result.h"

namespace gale::notify {

class Templates {
 public:
  // The templates (never null), or an Error (NotifyErrc) whose message names the language and
  // the problem; load_file's messages start with the path.
  static Result<std::shared_ptr<const Templates>> load(std::string_view yaml);
  static Result<std::shared_ptr<const Templates>> load_file(const std::string& path);
  static std::string_view default_yaml();

  // The text for the customer, in their language or the fallback one.
  std::string render(const events::AccountChange& change,
                     const events::CustomerProfile& profile) const;

 private:
  struct Language {
    std::string text;
    std::string debit;
    std::string credit;
  };
  std::map<std::string, Language, std::less<>> languages_;
  std::string fallback_;
};

// 12345 minor units -> "123.45"; negative amounts keep their sign.
std::string format_amount(std::int64_t minor);

}  // namespace gale::notify
