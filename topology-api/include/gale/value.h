#pragma once
// Values carried by tuples. A Value is one of: null, bool, int64, double, string, bytes.
// These are the only types that cross the wire between workers; extend with care.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gale {

using Bytes = std::vector<std::uint8_t>;

class Value {
 public:
  enum class Type : std::uint8_t {
    null = 0,
    boolean = 1,
    int64 = 2,
    float64 = 3,
    string = 4,
    bytes = 5
  };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool v) : v_(v) {}
  Value(int v) : v_(static_cast<std::int64_t>(v)) {}
  Value(long v) : v_(static_cast<std::int64_t>(v)) {}
  Value(long long v) : v_(static_cast<std::int64_t>(v)) {}
  Value(unsigned v) : v_(static_cast<std::int64_t>(v)) {}
  Value(double v) : v_(v) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(Bytes v) : v_(std::move(v)) {}

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::null; }
  bool is_bool() const { return type() == Type::boolean; }
  bool is_int() const { return type() == Type::int64; }
  bool is_double() const { return type() == Type::float64; }
  bool is_string() const { return type() == Type::string; }
  bool is_bytes() const { return type() == Type::bytes; }

  // Typed access. Each throws gale::TypeError naming the expected and actual type.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;  // an int64 converts
  const std::string& as_string() const;
  const Bytes& as_bytes() const;

  // A stable 64-bit hash of type and content: the same on every machine and process, so
  // fields grouping sends a key to the same task in every worker.
  std::uint64_t hash() const;
  // Human-readable form for logs and the CLI (strings unquoted, bytes as hex).
  std::string to_string() const;

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Bytes> v_;
};

const char* type_name(Value::Type t);

using Values = std::vector<Value>;

// The names of a stream's fields, in order.
class Fields {
 public:
  Fields() = default;
  Fields(std::initializer_list<std::string> names) : names_(names) {}
  explicit Fields(std::vector<std::string> names) : names_(std::move(names)) {}

  std::size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }
  const std::string& operator[](std::size_t i) const { return names_[i]; }
  const std::vector<std::string>& names() const { return names_; }
  std::optional<std::size_t> index_of(std::string_view name) const;
  bool contains(std::string_view name) const { return index_of(name).has_value(); }
  std::string to_string() const;  // "[a, b, c]"

  friend bool operator==(const Fields&, const Fields&) = default;

 private:
  std::vector<std::string> names_;
};

}  // namespace gale
