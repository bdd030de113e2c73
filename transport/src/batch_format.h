#pragma once
// The batch layout shared by the encoder and the decoder (README.md has the table).
#include <array>
#include <cstddef>
#include <cstdint>

#include "gale/transport/batch_codec.h"

namespace gale::transport::format {

inline constexpr std::array<std::uint8_t, 4> kMagic = {'G', 'L', 'W', 'B'};

// Header offsets; all integers little-endian.
inline constexpr std::size_t kVersionOffset = 4;  // u16
inline constexpr std::size_t kFlagsOffset = 6;    // u16, reserved: 0
inline constexpr std::size_t kEpochOffset = 8;    // u64
inline constexpr std::size_t kTuplesOffset = 16;  // u32
inline constexpr std::size_t kAcksOffset = 20;    // u32
static_assert(kAcksOffset + 4 == kBatchHeaderBytes);

// Each record is a msgpack array whose first element is its kind.
enum class RecordKind : std::uint8_t { tuple = 0, ack = 1 };
// [kind, [target tasks], source task, stream index, [values], [roots], [ack values]]: the ack
// values target after target, one per root each (targets x roots).
inline constexpr std::uint32_t kTupleFields = 7;
// [kind, ack kind, task, root, value]
inline constexpr std::uint32_t kAckFields = 5;

template <typename U>
void store_le(std::uint8_t* at, U v) {
  for (std::size_t i = 0; i < sizeof(U); ++i) at[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

template <typename U>
U load_le(const std::uint8_t* at) {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>(v | (U{at[i]} << (8 * i)));
  return v;
}

// `out` has kBatchHeaderBytes.
inline void write_header(std::uint8_t* out, const BatchHeader& h) {
  for (std::size_t i = 0; i < kMagic.size(); ++i) out[i] = kMagic[i];
  store_le<std::uint16_t>(out + kVersionOffset, h.format_version);
  store_le<std::uint16_t>(out + kFlagsOffset, 0);
  store_le<std::uint64_t>(out + kEpochOffset, h.topology_epoch);
  store_le<std::uint32_t>(out + kTuplesOffset, h.tuple_count);
  store_le<std::uint32_t>(out + kAcksOffset, h.ack_count);
}

inline void set_counts(std::uint8_t* header, std::uint32_t tuples, std::uint32_t acks) {
  store_le<std::uint32_t>(header + kTuplesOffset, tuples);
  store_le<std::uint32_t>(header + kAcksOffset, acks);
}

}  // namespace gale::transport::format
