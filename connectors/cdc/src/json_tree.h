#pragma once
// A JSON document as a small tree that keeps every number's exact text (simdjson's DOM would
// turn "12345.678901234567890" into a double). Built with simdjson's On-Demand API.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/cdc/change.h"

namespace gale::cdc::json {

struct Node {
  enum class Kind { null, boolean, number, string, object, array };
  Kind kind = Kind::null;
  std::string text;  // boolean "true"/"false", number's literal, string's characters
  std::vector<std::pair<std::string, Node>> members;  // object, in document order
  std::vector<Node> items;                            // array

  bool is_null() const { return kind == Kind::null; }
  bool is_object() const { return kind == Kind::object; }
  bool is_array() const { return kind == Kind::array; }
  bool is_string() const { return kind == Kind::string; }
  // The member named `name` of an object, or null when absent (or not an object).
  const Node* get(std::string_view name) const;
  // As JSON text (nested objects and arrays stored in a Field).
  std::string dump() const;
  // The node as a column value.
  Field field() const;
};

// The document, or an error message. Documents nest at most 64 levels deep.
Result<Node> parse(std::string_view text);

}  // namespace gale::cdc::json
