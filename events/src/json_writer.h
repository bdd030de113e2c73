#pragma once
// Writing one JSON object to a string: RFC 8259 string escaping (quote, backslash and control
// characters; other UTF-8 passes as it is), amounts in major units, shortest round-trip doubles.
#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "amount.h"
#include "gale/events/events.h"

namespace gale::events {

// Appends `s` as a JSON string; runs of characters that need no escape go in one append.
inline void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of plain characters
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (u) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 0xf];
    }
  }
  out.append(s, run, s.size() - run);
  out += '"';
}

// Appends `"name":` with the separating comma for every field but the first.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::size_t reserve) {
    out_.reserve(reserve);
    out_ += '{';
  }
  ObjectWriter& text(std::string_view name, std::string_view value) {
    key(name);
    append_string(out_, value);
    return *this;
  }
  ObjectWriter& amount(std::string_view name, std::int64_t minor) {
    key(name);
    append_amount(out_, minor);
    return *this;
  }
  // The shortest text that reads back as the same double.
  ObjectWriter& number(std::string_view name, double value) {
    key(name);
    fmt::format_to(std::back_inserter(out_), "{}", value);
    return *this;
  }
  ObjectWriter& boolean(std::string_view name, bool value) {
    key(name);
    out_ += value ? "true" : "false";
    return *this;
  }
  ObjectWriter& timestamp(std::string_view name, std::int64_t ts_ms) {
    return text(name, format_timestamp(ts_ms));
  }
  std::string done() {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void key(std::string_view name) {
    if (out_.size() > 1) out_ += ',';
    out_ += '"';
    out_ += name;
    out_ += "\":";
  }
  std::string out_;
};

}  // namespace gale::events
