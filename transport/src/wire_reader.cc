#include "wire_reader.h"

#include <bit>
#include <cstdio>
#include <limits>

namespace gale::transport::wire {
std::string tag_text(std::uint8_t t) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", t);
  return text;
}

void WireReader::fail(WireError::Fault fault, const std::string& problem) const {
  std::string where = field_;
  if (index_ >= 0) where += " " + std::to_string(index_);
  throw WireError(fault, where + " " + problem);
}

std::uint8_t WireReader::peek() {
  if (at_end()) fail(WireError::Fault::truncated, "is cut short");
  return *pos_;
}

std::span<const std::uint8_t> WireReader::take(std::size_t n) {
  if (n > remaining()) fail(WireError::Fault::truncated, "is cut short");
  std::span<const std::uint8_t> out(pos_, n);
  pos_ += n;
  return out;
}

template <typename U>
U WireReader::big_endian() {
  U v = 0;
  for (std::uint8_t b : take(sizeof(U))) v = static_cast<U>((v << 8) | b);
  return v;
}

std::uint32_t WireReader::array_header(std::uint32_t limit, std::size_t min_element_bytes) {
  const std::uint8_t t = take(1)[0];
  std::uint32_t n;
  if ((t & 0xf0) == tag::fixarray) {
    n = t & 0x0f;
  } else if (t == tag::array16) {
    n = big_endian<std::uint16_t>();
  } else if (t == tag::array32) {
    n = big_endian<std::uint32_t>();
  } else {
    fail(WireError::Fault::malformed, "is not an array (msgpack tag " + tag_text(t) + ")");
  }
  if (n > limit) {
    fail(WireError::Fault::malformed,
         "has " + std::to_string(n) + " elements, limit " + std::to_string(limit));
  }
  if (n > remaining() / min_element_bytes) {
    fail(WireError::Fault::truncated, "declares " + std::to_string(n) + " elements but only " +
                                          std::to_string(remaining()) + " bytes are left");
  }
  return n;
}

WireReader::Integer WireReader::integer() {
  const std::uint8_t t = take(1)[0];
  if (t <= tag::positive_fixint_max) return {false, t};
  if (t >= tag::negative_fixint_min) {
    return {true, static_cast<std::uint64_t>(static_cast<std::int8_t>(t))};
  }
  auto sign_extended = [](auto v) {
    const auto s = static_cast<std::int64_t>(v);
    return Integer{s < 0, static_cast<std::uint64_t>(s)};
  };
  switch (t) {
    case tag::uint8:
      return {false, big_endian<std::uint8_t>()};
    case tag::uint16:
      return {false, big_endian<std::uint16_t>()};
    case tag::uint32:
      return {false, big_endian<std::uint32_t>()};
    case tag::uint64:
      return {false, big_endian<std::uint64_t>()};
    case tag::int8:
      return sign_extended(static_cast<std::int8_t>(big_endian<std::uint8_t>()));
    case tag::int16:
      return sign_extended(static_cast<std::int16_t>(big_endian<std::uint16_t>()));
    case tag::int32:
      return sign_extended(static_cast<std::int32_t>(big_endian<std::uint32_t>()));
    case tag::int64:
      return sign_extended(static_cast<std::int64_t>(big_endian<std::uint64_t>()));
    default:
      fail(WireError::Fault::malformed, "is not an integer (msgpack tag " + tag_text(t) + ")");
  }
}

std::int64_t WireReader::int64() {
  const Integer i = integer();
  if (!i.negative &&
      i.bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    fail(WireError::Fault::malformed, "is out of int64 range");
  }
  return static_cast<std::int64_t>(i.bits);
}

std::int32_t WireReader::int32() {
  const std::int64_t v = int64();
  if (v < std::numeric_limits<std::int32_t>::min() ||
      v > std::numeric_limits<std::int32_t>::max()) {
    fail(WireError::Fault::malformed, "is out of int32 range (" + std::to_string(v) + ")");
  }
  return static_cast<std::int32_t>(v);
}

std::uint64_t WireReader::uint64() {
  const Integer i = integer();
  if (i.negative) fail(WireError::Fault::malformed, "is negative");
  return i.bits;
}

std::uint8_t WireReader::uint8() {
  const std::uint64_t v = uint64();
  if (v > std::numeric_limits<std::uint8_t>::max()) {
    fail(WireError::Fault::malformed, "is out of uint8 range (" + std::to_string(v) + ")");
  }
  return static_cast<std::uint8_t>(v);
}

double WireReader::float64() {
  return std::bit_cast<double>(big_endian<std::uint64_t>());
}

std::span<const std::uint8_t> WireReader::sized_body(std::uint8_t tag_read, std::uint8_t tag8) {
  std::uint32_t n;
  switch (tag_read - tag8) {
    case 0:
      n = big_endian<std::uint8_t>();
      break;
    case 1:
      n = big_endian<std::uint16_t>();
      break;
    default:
      n = big_endian<std::uint32_t>();
      break;
  }
  return take(n);
}

}  // namespace gale::transport::wire
