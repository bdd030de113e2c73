#pragma once
// Amount text <-> minor units, with the reason a text is refused (for parse errors).
#include <cstdint>
#include <string>
#include <string_view>

namespace gale::events {

enum class AmountProblem { none, not_a_number, too_many_decimals, out_of_range };

AmountProblem read_amount(std::string_view json_number, std::int64_t& minor);
std::string_view describe(AmountProblem p);  // "expected a number", ...
void append_amount(std::string& out, std::int64_t minor);

}  // namespace gale::events
