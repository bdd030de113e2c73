#include "gale/value.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <type_traits>

#include "gale/errors.h"
#include "text.h"

namespace gale {
namespace {

// FNV-1a over a type tag and the content bytes, finished with splitmix64's mixer. FNV alone
// leaves the low bits poorly mixed for short keys; the finaliser makes `hash() % tasks` even.
// The byte sequence fed in is fixed by this file alone (never by the platform), so the hash
// is the same in every process and on every machine: fields grouping depends on that.
class StableHasher {
 public:
  explicit StableHasher(Value::Type type) { add_byte(static_cast<std::uint8_t>(type)); }

  void add_byte(std::uint8_t b) {
    state_ ^= b;
    state_ *= 0x00000100000001b3ULL;  // FNV-64 prime
  }
  void add_bytes(const std::uint8_t* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) add_byte(data[i]);
  }
  void add_chars(std::string_view chars) {
    for (char c : chars) add_byte(static_cast<std::uint8_t>(c));
  }
  // Little-endian whatever the host's byte order.
  void add_u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) add_byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }

  std::uint64_t finish() const {
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ULL;  // FNV-64 offset basis
};

template <class T>
constexpr Value::Type type_of() {
  if constexpr (std::is_same_v<T, bool>) {
    return Value::Type::boolean;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return Value::Type::int64;
  } else if constexpr (std::is_same_v<T, double>) {
    return Value::Type::float64;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return Value::Type::string;
  } else {
    static_assert(std::is_same_v<T, Bytes>, "not a Value alternative");
    return Value::Type::bytes;
  }
}

// The alternative T of a Value's variant, or TypeError naming both types.
template <class T, class Variant>
const T& typed(const Variant& v) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw TypeError(text::concat("expected ", type_name(type_of<T>()), ", got ",
                               type_name(static_cast<Value::Type>(v.index()))));
}

std::string shortest_decimal(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, end);
}

std::string lowercase_hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

}  // namespace

const char* type_name(Value::Type t) {
  switch (t) {
    case Value::Type::null:
      return "null";
    case Value::Type::boolean:
      return "bool";
    case Value::Type::int64:
      return "int64";
    case Value::Type::float64:
      return "double";
    case Value::Type::string:
      return "string";
    case Value::Type::bytes:
      return "bytes";
  }
  return "unknown";
}

bool Value::as_bool() const {
  return typed<bool>(v_);
}
std::int64_t Value::as_int() const {
  return typed<std::int64_t>(v_);
}
const std::string& Value::as_string() const {
  return typed<std::string>(v_);
}
const Bytes& Value::as_bytes() const {
  return typed<Bytes>(v_);
}

double Value::as_double() const {
  if (is_int()) return static_cast<double>(std::get<std::int64_t>(v_));
  return typed<double>(v_);
}

std::uint64_t Value::hash() const {
  StableHasher h(type());
  switch (type()) {
    case Type::null:
      break;
    case Type::boolean:
      h.add_byte(as_bool() ? 1 : 0);
      break;
    case Type::int64:
      h.add_u64(static_cast<std::uint64_t>(as_int()));
      break;
    case Type::float64: {
      double d = std::get<double>(v_);
      h.add_u64(std::bit_cast<std::uint64_t>(d == 0.0 ? 0.0 : d));  // -0.0 == 0.0
      break;
    }
    case Type::string:
      h.add_chars(as_string());
      break;
    case Type::bytes:
      h.add_bytes(as_bytes().data(), as_bytes().size());
      break;
  }
  return h.finish();
}

std::string Value::to_string() const {
  switch (type()) {
    case Type::null:
      return "null";
    case Type::boolean:
      return as_bool() ? "true" : "false";
    case Type::int64:
      return std::to_string(as_int());
    case Type::float64:
      return shortest_decimal(std::get<double>(v_));
    case Type::string:
      return as_string();
    case Type::bytes:
      return lowercase_hex(as_bytes());
  }
  return {};
}

std::optional<std::size_t> Fields::index_of(std::string_view name) const {
  auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - names_.begin());
}

std::string Fields::to_string() const {
  std::string out = "[";
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (i > 0) out += ", ";
    out += names_[i];
  }
  return out + "]";
}

}  // namespace gale
