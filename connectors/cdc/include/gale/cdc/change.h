#pragma once
// Row changes from a database's log, as the three connectors banks run write them to Kafka —
// Debezium (its JSON envelope, with or without the schema/payload wrapper), Canal (flat JSON)
// and Maxwell — decoded into one neutral Change. Read-only toward the source by construction:
// this only reads what the connectors published.
//
// Values stay exactly as written: a number is kept as its JSON text ("12345.67" never passes
// through a double), and Debezium's precise decimals (base64 of the unscaled integer, the
// scale in the schema) are turned into the same exact text.
//
// Threading: decode() and the types are free of shared state; a Deduplicator belongs to one
// thread at a time.
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/cdc/errc.h"
#include "gale/result.h"

namespace gale::cdc {

enum class Format { debezium, canal, maxwell };
// "debezium", "canal", "maxwell"; nothing for another name.
std::optional<Format> format_named(std::string_view name);
std::string_view to_string(Format format);

// Debezium's op c/u/d/r; Canal's INSERT/UPDATE/DELETE; Maxwell's insert/update/delete and
// bootstrap-insert (read: a row of the initial snapshot).
enum class Operation { insert, update, remove, read };
std::string_view to_string(Operation op);

// One column's value: null, or its exact text (a string's characters; a number's JSON literal;
// true/false; a nested object or array as its JSON).
struct Field {
  enum class Kind { null, string, number, boolean, json };
  Kind kind = Kind::null;
  std::string text;
  friend bool operator==(const Field&, const Field&) = default;
};

// A row: columns in the order the change lists them.
using Row = std::vector<std::pair<std::string, Field>>;
// The column's field in `row`, or null when it has none.
const Field* find(const Row& row, std::string_view column);

// Where a change sits in the source's log, ordered: a change before another's position on the
// same row, or at it with the same content, is a redelivery (connectors replay after a
// failover).
//   Debezium, MySQL: binlog file, position, row in the event. PostgreSQL: the LSN.
//   Maxwell: its "position" (binlog file:offset), then xoffset (the row in the transaction;
//   the last row, which has "commit": true instead, sorts last). Without output_binlog_position:
//   commit time and xid.
//   Canal's flat JSON carries no binlog offset: only `es` (the event's time, whole seconds)
//   and the batch id, shared by a batch's messages. Changes of one batch and second tie (they
//   are told apart by content), and a batch fetched again after a rollback comes with a new id,
//   so it is not recognised: applied again, which is harmless for columns that hold a state
//   (a balance) and not for deltas. Ordering within a tie is Kafka's (one partition per row).
struct SourcePosition {
  std::string file;
  std::uint64_t offset = 0;
  std::uint64_t sequence = 0;
  std::uint64_t row = 0;
  friend auto operator<=>(const SourcePosition&, const SourcePosition&) = default;
  std::string to_string() const;  // "file:offset:sequence:row"
};

struct Change {
  Format format = Format::debezium;
  std::string database;
  std::string table;
  Operation op = Operation::insert;
  Row key;     // the primary key columns and their values (from after, or before for a delete)
  Row before;  // empty for an insert (and where the connector does not send it)
  Row after;   // empty for a delete
  SourcePosition position;
  std::int64_t commit_ms = 0;  // when the source committed it (ms since the epoch)
  std::string qualified_table() const { return database + "." + table; }
};

struct DecodeOptions {
  // Primary key columns by "database.table", for changes that do not carry them (Debezium
  // without a record key, Maxwell without output_primary_keys).
  std::map<std::string, std::vector<std::string>, std::less<>> key_columns;
};

// The changes in one Kafka record: `key` (the record key; Debezium puts the row's primary key
// there, may be empty) and `value`. Canal sends several rows per message, the others one. A
// Debezium tombstone (an empty value after a delete) and Maxwell's bootstrap-start/complete
// markers are no change: an empty vector. Otherwise an Error (CdcErrc) naming the problem.
Result<std::vector<Change>> decode(Format format, std::string_view key, std::string_view value,
                                   const DecodeOptions& options = {});

// Recognises redelivered changes: per table and key, the position (and a fingerprint of the
// content) of the last change let through. A change before that position is a duplicate, and
// so is one at it with the same content; one at it with other content is new (Canal's ties).
// Holds one entry per row ever seen.
class Deduplicator {
 public:
  // True (and remembers it) when `change` is new for its row.
  bool admit(const Change& change);
  std::size_t rows() const { return last_.size(); }

 private:
  struct Last {
    SourcePosition position;
    std::size_t content = 0;
  };
  std::map<std::string, Last, std::less<>> last_;  // by table and key
};

}  // namespace gale::cdc
