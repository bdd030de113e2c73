#pragma once
// Reads a Kafka topic from its beginning to the end it had when the read started, every
// partition, with librdkafka: what the reconciliation recomputes the balances from.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "gale/result.h"

namespace gale::balances {

struct LogRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;    // empty when the record has none
  std::string_view value;  // empty for a tombstone
};

// Calls `each` for every record, in order within each partition. An Error (std::errc codes)
// naming the broker and the problem if the topic cannot be read, or a partition stops short of
// its end for `stall_ms`.
Result<std::int64_t> read_topic(const std::string& bootstrap, const std::string& topic,
                                const std::function<void(const LogRecord&)>& each,
                                int stall_ms = 30'000);

}  // namespace gale::balances
