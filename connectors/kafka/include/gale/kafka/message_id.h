#pragma once
// The message id the Kafka spout gives each tuple: the partition's assignment slot in the top
// 16 bits, the offset in the low 48.
//
// A slot is handed out each time the spout is assigned a partition and retired when the
// partition is revoked, so an ack that comes back for an earlier assignment names a slot that
// is gone (or, after 65536 later assignments, reused — far beyond a message timeout) and is
// recognised as stale. Offsets must stay below 2^48 (2.8e14): at a million messages a second
// that is nine years of one partition.
#include <cstdint>

#include "gale/collectors.h"

namespace gale::kafka {

inline constexpr int kOffsetBits = 48;
inline constexpr std::int64_t kMaxTrackedOffset = (std::int64_t{1} << kOffsetBits) - 1;

struct SpoutMessageId {
  std::uint16_t slot = 0;
  std::int64_t offset = 0;  // 0 .. kMaxTrackedOffset

  MessageId encode() const {
    return (static_cast<MessageId>(slot) << kOffsetBits) |
           (static_cast<MessageId>(offset) & static_cast<MessageId>(kMaxTrackedOffset));
  }
  static SpoutMessageId decode(MessageId id) {
    return {static_cast<std::uint16_t>(id >> kOffsetBits),
            static_cast<std::int64_t>(id & static_cast<MessageId>(kMaxTrackedOffset))};
  }
  friend bool operator==(const SpoutMessageId&, const SpoutMessageId&) = default;
};

}  // namespace gale::kafka
