#pragma once
// A bounds-checked reader of the MessagePack subset that BatchEncoder writes. Reads in place
// (strings and bytes are views into the input), allocates nothing, and throws WireError on any
// input it cannot read. Private to the decoder.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace gale::transport::wire {

// MessagePack format tags (https://github.com/msgpack/msgpack/blob/master/spec.md).
namespace tag {
inline constexpr std::uint8_t positive_fixint_max = 0x7f;
inline constexpr std::uint8_t fixarray = 0x90;  // low 4 bits: length
inline constexpr std::uint8_t fixstr = 0xa0;    // low 5 bits: length
inline constexpr std::uint8_t nil = 0xc0;
inline constexpr std::uint8_t false_ = 0xc2;
inline constexpr std::uint8_t true_ = 0xc3;
inline constexpr std::uint8_t bin8 = 0xc4;
inline constexpr std::uint8_t bin16 = 0xc5;
inline constexpr std::uint8_t bin32 = 0xc6;
inline constexpr std::uint8_t float64 = 0xcb;
inline constexpr std::uint8_t uint8 = 0xcc;
inline constexpr std::uint8_t uint16 = 0xcd;
inline constexpr std::uint8_t uint32 = 0xce;
inline constexpr std::uint8_t uint64 = 0xcf;
inline constexpr std::uint8_t int8 = 0xd0;
inline constexpr std::uint8_t int16 = 0xd1;
inline constexpr std::uint8_t int32 = 0xd2;
inline constexpr std::uint8_t int64 = 0xd3;
inline constexpr std::uint8_t str8 = 0xd9;
inline constexpr std::uint8_t str16 = 0xda;
inline constexpr std::uint8_t str32 = 0xdb;
inline constexpr std::uint8_t array16 = 0xdc;
inline constexpr std::uint8_t array32 = 0xdd;
inline constexpr std::uint8_t negative_fixint_min = 0xe0;
}  // namespace tag

// "0xc1": a tag as error messages show it.
std::string tag_text(std::uint8_t t);

// Why the input could not be read. `truncated`: it ends (or declares more than is left) in the
// middle of something; `malformed`: anything else.
struct WireError : std::runtime_error {
  enum class Fault { truncated, malformed };
  WireError(Fault f, const std::string& message) : std::runtime_error(message), fault(f) {}
  Fault fault;
};

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> bytes)
      : pos_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }
  bool at_end() const { return pos_ == end_; }

  // Names the field read next, for error messages ("value 3", "source task").
  void field(const char* name, std::int64_t index = -1) {
    field_ = name;
    index_ = index;
  }

  std::uint8_t peek();
  std::span<const std::uint8_t> take(std::size_t n);

  // An array header whose element count is at most `limit` and, since every element takes at
  // least `min_element_bytes`, fits in what is left of the input.
  std::uint32_t array_header(std::uint32_t limit, std::size_t min_element_bytes = 1);
  std::int64_t int64();
  std::int32_t int32();
  std::uint64_t uint64();
  std::uint8_t uint8();
  double float64();
  // The body of a str or bin after its tag: `tag_read` is one of the three consecutive tags
  // tag8, tag8+1, tag8+2 announcing an 8-, 16- or 32-bit length.
  std::span<const std::uint8_t> sized_body(std::uint8_t tag_read, std::uint8_t tag8);

  [[noreturn]] void fail(WireError::Fault fault, const std::string& problem) const;

 private:
  struct Integer {
    bool negative;
    std::uint64_t bits;  // two's complement when negative
  };
  Integer integer();
  template <typename U>
  U big_endian();

  const std::uint8_t* pos_;
  const std::uint8_t* end_;
  const char* field_ = "record";
  std::int64_t index_ = -1;
};

}  // namespace gale::transport::wire
