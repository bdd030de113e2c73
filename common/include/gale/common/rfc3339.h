#pragma once
// Times as people write them to Gale (`gale submit --start-at`): RFC 3339 with an offset,
// "2026-12-05T18:00:00+08:00" or "2026-12-05T10:00:00Z" (fractions of a second allowed).
#include <cstdint>
#include <string>
#include <string_view>

#include "gale/common/result.h"

namespace gale {

// Unix seconds (a fraction is dropped). CommonErrc::bad_setting naming the text and the form
// expected: a time without an offset is refused (whose 18:00 would it be?).
Result<std::int64_t> parse_rfc3339(std::string_view text);
// "2026-12-05T10:00:00Z".
std::string format_rfc3339(std::int64_t unix_secs);

}  // namespace gale
