// Malformed lines for dead-letter tests: each one breaks a valid event line in one way that a
// parser must refuse with a clear error.
#include <array>
#include <string>

#include "gale/events/generator.h"
#include "rng.h"

namespace gale::events {

namespace {

using Corruption = std::string (*)(std::string_view line, Rng& rng);

// Replaces the value after `"field":` (up to the next ',' or '}' outside a string) with
// `value`; empty if the line has no such field.
std::string replace_value(std::string_view line, std::string_view field, std::string_view value) {
  std::string key;
  key.append("\"").append(field).append("\":");
  std::size_t start = line.find(key);
  if (start == std::string_view::npos) return {};
  start += key.size();
  std::size_t end = start;
  bool in_string = false;
  for (; end < line.size(); ++end) {
    char c = line[end];
    if (in_string) {
      if (c == '\\')
        ++end;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',' || c == '}') {
      break;
    }
  }
  std::string out(line.substr(0, start));
  out.append(value).append(line.substr(end));
  return out;
}

std::string cut_short(std::string_view line, Rng& rng) {
  return std::string(line.substr(0, 1 + rng.below(line.size() - 1)));
}

std::string not_json(std::string_view, Rng&) {
  return "this is not an event";
}

std::string trailing_content(std::string_view line, Rng&) {
  std::string out(line);
  out.append(" 42");
  return out;
}

// The first field (id, event_id, customer) is required in every event.
std::string first_field_missing(std::string_view line, Rng&) {
  std::size_t comma = line.find("\",\"");
  if (line.empty() || line.front() != '{' || comma == std::string_view::npos) return {};
  std::string out = "{";
  out.append(line.substr(comma + 2));
  return out;
}

std::string first_field_number(std::string_view line, Rng&) {
  std::size_t colon = line.find("\":");
  if (colon == std::string_view::npos) return {};
  std::string field(line.substr(2, colon - 2));
  return replace_value(line, field, "12345");
}

std::string amount_text(std::string_view line, Rng&) {
  return replace_value(line, "amount", "\"a lot\"");
}

std::string amount_three_decimals(std::string_view line, Rng&) {
  return replace_value(line, "amount", "12.345");
}

std::string bad_timestamp(std::string_view line, Rng&) {
  return replace_value(line, "ts", "\"yesterday\"");
}

std::string unknown_channel(std::string_view line, Rng&) {
  return replace_value(line, "channel", "\"pigeon\"");
}

constexpr std::array<Corruption, 9> kCorruptions = {
    cut_short,          not_json,    trailing_content,      first_field_missing,
    first_field_number, amount_text, amount_three_decimals, bad_timestamp,
    unknown_channel};

}  // namespace

MalformedLines::MalformedLines(std::uint64_t seed) : state_(seed ^ 0x62726f6b656e2121ULL) {}

std::string MalformedLines::corrupt(std::string_view valid_json) {
  Rng rng(state_);
  std::string line = valid_json.size() < 2
                         ? not_json(valid_json, rng)
                         : kCorruptions[rng.below(kCorruptions.size())](valid_json, rng);
  // A corruption that does not apply to this kind of event (no channel in a profile) cuts the
  // line short instead.
  if (line.empty()) line = cut_short(valid_json, rng);
  state_ = rng.state();
  return line;
}

int MalformedLines::how_many_before(double share) {
  Rng rng(state_);
  int n = 0;
  while (rng.chance(share)) ++n;  // geometric: n / (n + 1) lines malformed on average = share
  state_ = rng.state();
  return n;
}

}  // namespace gale::events
