#pragma once
// Errors as values at the templates loader's boundary: NotifyErrc, registered as a
// std::error_category ("gale.notify"), carried in Gale's Error / Result<T> (gale/result.h).
#include <system_error>
#include <type_traits>

#include "gale/result.h"

namespace gale::notify {

// Why Templates::load / load_file refused; the Error's message names the language and the
// problem, e.g. "templates.en: unknown placeholder {nmae}". The category's message() is the
// enumerator's name ("bad_templates", ...).
enum class NotifyErrc {
  ok = 0,
  unreadable,     // load_file: the templates file cannot be read
  not_yaml,       // the document is not YAML (yaml-cpp's message)
  bad_templates,  // YAML but not valid templates: no templates map, a text that is not text, an
                  // unknown placeholder or unclosed '{', a language without the words for debit
                  // and credit, a fallback without a template
};

// Thread-safe, lives for the whole process.
const std::error_category& notify_category() noexcept;

inline std::error_code make_error_code(NotifyErrc e) noexcept {
  return {static_cast<int>(e), notify_category()};
}

}  // namespace gale::notify

template <>
struct std::is_error_code_enum<gale::notify::NotifyErrc> : std::true_type {};
