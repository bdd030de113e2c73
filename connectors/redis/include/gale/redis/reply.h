#pragma once
// Redis commands and replies as plain values: a command is its argv (binary-safe, never a
// format string), a reply is one of the RESP2 types hiredis reads.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gale/value.h"

namespace gale::redis {

// One command as argv: {"HSET", key, field, value}. Each argument may hold any bytes.
using Command = std::vector<std::string>;

// A Value as a command argument: strings and bytes as they are, integers in decimal, doubles
// in their shortest exact form, booleans as "1"/"0". Throws std::invalid_argument for null.
std::string to_arg(const Value& value);

struct Reply {
  enum class Type { nil, integer, string, array, status, error };

  Type type = Type::nil;
  std::int64_t integer = 0;     // integer
  std::string str;              // string (any bytes), status ("OK"), error ("WRONGTYPE ...")
  std::vector<Reply> elements;  // array

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
  // For logs and error messages: "nil", "(integer) 3", "\"text\"", "OK", "(error) ...", "[a, b]".
  std::string to_string() const;
};

const char* type_name(Reply::Type type);

// An HGETALL (or CONFIG GET) reply as field -> value. Throws std::invalid_argument if the
// reply is not an array of an even number of strings; an empty hash gives an empty map.
std::map<std::string, std::string> field_map(const Reply& reply);

}  // namespace gale::redis
