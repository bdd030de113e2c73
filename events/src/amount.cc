// Money in JSON: major units with at most two decimals, read from the number's text so that
// 0.1 or 19999.99 arrive exactly (a double cannot hold 0.1; its neighbours would need rounding
// rules that differ between readers).
#include "amount.h"

#include <cstdlib>

#include "gale/events/events.h"

namespace gale::events {

namespace {

constexpr std::int64_t kMaxMinor = 100'000'000'000'000'000;  // 10^15 major units
constexpr int kMaxSignificantDigits = 18;                    // fits std::int64_t
constexpr int kMaxExponent = 400;                            // beyond any double as well

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The parts of a JSON number (RFC 8259 grammar): value = ±mantissa × 10^exponent.
struct DecimalNumber {
  bool negative = false;
  std::uint64_t mantissa = 0;
  int exponent = 0;
};

// Reads the JSON number grammar strictly: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
// Leading zeros of the mantissa do not count as significant; too many significant digits
// give AmountProblem::out_of_range.
AmountProblem read_decimal(std::string_view s, DecimalNumber& n) {
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return k < s.size() ? s[k] : '\0'; };
  if (at(i) == '-') {
    n.negative = true;
    ++i;
  }
  if (!is_digit(at(i))) return AmountProblem::not_a_number;
  int significant = 0;
  auto take_digit = [&](char c) {
    if (n.mantissa == 0 && c == '0') return;
    ++significant;
    if (significant <= kMaxSignificantDigits) n.mantissa = n.mantissa * 10 + (c - '0');
  };
  int dropped_integer_digits = 0;  // integer digits beyond kMaxSignificantDigits (a big value)
  if (at(i) == '0') {
    ++i;
  } else {
    for (; is_digit(at(i)); ++i) {
      take_digit(at(i));
      if (significant > kMaxSignificantDigits) ++dropped_integer_digits;
    }
  }
  if (dropped_integer_digits > 0) return AmountProblem::out_of_range;
  if (at(i) == '.') {
    ++i;
    if (!is_digit(at(i))) return AmountProblem::not_a_number;
    for (; is_digit(at(i)); ++i) {
      take_digit(at(i));
      if (significant > kMaxSignificantDigits) {
        if (at(i) != '0') return AmountProblem::too_many_decimals;
        continue;  // a trailing zero beyond the precision changes nothing
      }
      --n.exponent;
    }
  }
  if (at(i) == 'e' || at(i) == 'E') {
    ++i;
    bool negative_exponent = false;
    if (at(i) == '+' || at(i) == '-') negative_exponent = at(i++) == '-';
    if (!is_digit(at(i))) return AmountProblem::not_a_number;
    int e = 0;
    for (; is_digit(at(i)); ++i)
      if (e < kMaxExponent) e = e * 10 + (at(i) - '0');
    n.exponent += negative_exponent ? -e : e;
  }
  return i == s.size() ? AmountProblem::none : AmountProblem::not_a_number;
}

}  // namespace

AmountProblem read_amount(std::string_view json_number, std::int64_t& minor) {
  DecimalNumber n;
  if (auto problem = read_decimal(json_number, n); problem != AmountProblem::none) return problem;
  // minor = mantissa × 10^(exponent + 2), exact or refused.
  std::uint64_t m = n.mantissa;
  for (int scale = n.exponent + 2; m != 0 && scale != 0;) {
    if (scale > 0) {
      if (m > static_cast<std::uint64_t>(kMaxMinor) / 10) return AmountProblem::out_of_range;
      m *= 10;
      --scale;
    } else {
      if (m % 10 != 0) return AmountProblem::too_many_decimals;
      m /= 10;
      ++scale;
    }
  }
  if (m >= static_cast<std::uint64_t>(kMaxMinor)) return AmountProblem::out_of_range;
  minor = n.negative ? -static_cast<std::int64_t>(m) : static_cast<std::int64_t>(m);
  return AmountProblem::none;
}

std::string_view describe(AmountProblem p) {
  switch (p) {
    case AmountProblem::none:
      return "";
    case AmountProblem::not_a_number:
      return "expected a number";
    case AmountProblem::too_many_decimals:
      return "more than 2 decimals";
    case AmountProblem::out_of_range:
      return "out of range";
  }
  return "";
}

void append_amount(std::string& out, std::int64_t minor) {
  std::uint64_t magnitude =
      minor < 0 ? ~static_cast<std::uint64_t>(minor) + 1 : static_cast<std::uint64_t>(minor);
  if (minor < 0) out += '-';
  out += std::to_string(magnitude / 100);
  out += '.';
  out += static_cast<char>('0' + magnitude % 100 / 10);
  out += static_cast<char>('0' + magnitude % 10);
}

std::string format_amount(std::int64_t minor) {
  std::string out;
  append_amount(out, minor);
  return out;
}

std::optional<std::int64_t> parse_amount(std::string_view json_number) {
  std::int64_t minor = 0;
  if (read_amount(json_number, minor) != AmountProblem::none) return std::nullopt;
  return minor;
}

}  // namespace gale::events
