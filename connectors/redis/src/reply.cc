#include "gale/redis/reply.h"

#include <charconv>
#include <stdexcept>

namespace gale::redis {

std::string to_arg(const Value& value) {
  switch (value.type()) {
    case Value::Type::string:
      return value.as_string();
    case Value::Type::bytes: {
      const Bytes& b = value.as_bytes();
      return std::string(b.begin(), b.end());
    }
    case Value::Type::int64:
      return std::to_string(value.as_int());
    case Value::Type::float64: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value.as_double());
      return std::string(buf, end);
    }
    case Value::Type::boolean:
      return value.as_bool() ? "1" : "0";
    case Value::Type::null:
      break;
  }
  throw std::invalid_argument("a null value has no Redis argument form");
}

const char* type_name(Reply::Type type) {
  switch (type) {
    case Reply::Type::nil:
      return "nil";
    case Reply::Type::integer:
      return "integer";
    case Reply::Type::string:
      return "string";
    case Reply::Type::array:
      return "array";
    case Reply::Type::status:
      return "status";
    case Reply::Type::error:
      return "error";
  }
  return "?";
}

std::string Reply::to_string() const {
  switch (type) {
    case Type::nil:
      return "nil";
    case Type::integer:
      return "(integer) " + std::to_string(integer);
    case Type::string:
      return "\"" + str + "\"";
    case Type::status:
      return str;
    case Type::error:
      return "(error) " + str;
    case Type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements[i].to_string();
      }
      return out + "]";
    }
  }
  return "?";
}

std::map<std::string, std::string> field_map(const Reply& reply) {
  auto refuse = [&] {
    return std::invalid_argument(
        "expected an array of field/value strings (an HGETALL reply), got " + reply.to_string());
  };
  if (reply.type != Reply::Type::array || reply.elements.size() % 2 != 0) throw refuse();
  std::map<std::string, std::string> fields;
  for (std::size_t i = 0; i < reply.elements.size(); i += 2) {
    const Reply& field = reply.elements[i];
    const Reply& value = reply.elements[i + 1];
    if (field.type != Reply::Type::string || value.type != Reply::Type::string) throw refuse();
    fields.emplace(field.str, value.str);
  }
  return fields;
}

}  // namespace gale::redis
