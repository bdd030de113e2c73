#pragma once
// What the three formats' decoders share (src/debezium.cc, canal.cc, maxwell.cc).
#include <string>
#include <string_view>
#include <vector>

#include "gale/cdc/change.h"
#include "json_tree.h"

namespace gale::cdc::detail {

inline Error malformed(std::string message) {
  return make_error(CdcErrc::malformed, std::move(message));
}
inline Error unsupported(std::string message) {
  return make_error(CdcErrc::unsupported, std::move(message));
}

// An object's members as a row (null or absent: an empty row); false if it is not an object.
bool row_of(const json::Node* node, Row& row);
// `base` with `changes` laid over it (a column in both takes changes' value).
Row overlay(Row base, const Row& changes);
// A member's text as an unsigned integer (a JSON number or a string of digits).
bool unsigned_of(const json::Node* node, std::uint64_t& out);
bool signed_of(const json::Node* node, std::int64_t& out);
// The key columns' values from `row` (or an error naming the missing column), the columns
// named by the change (`named`, may be empty) or else by options.
Result<Row> key_of(const Change& change, const Row& row, const std::vector<std::string>& named,
                   const DecodeOptions& options);

Result<std::vector<Change>> decode_debezium(std::string_view key, const json::Node& value,
                                            const DecodeOptions& options);
Result<std::vector<Change>> decode_canal(const json::Node& value, const DecodeOptions& options);
Result<std::vector<Change>> decode_maxwell(const json::Node& value, const DecodeOptions& options);

}  // namespace gale::cdc::detail
