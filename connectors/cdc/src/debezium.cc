// Debezium's JSON envelope: {"before", "after", "source", "op", "ts_ms"}, bare or wrapped as
// {"schema": ..., "payload": envelope} by the JSON converter with schemas enabled. The record
// key holds the primary key (same wrapping). Precise decimals come as base64 of the unscaled
// big-endian two's-complement integer, with the scale in the schema; they are written back as
// exact decimal text here.
#include <cstdint>
#include <string>

#include "decode.h"
#include "gale/common/base64.h"

namespace gale::cdc::detail {
namespace {

// The envelope (or key) inside an optional schema/payload wrapper, and its schema (or null).
const json::Node& unwrap(const json::Node& root, const json::Node*& schema) {
  schema = nullptr;
  const json::Node* payload = root.get("payload");
  if (payload && root.get("schema") && root.members.size() == 2) {
    schema = root.get("schema");
    return *payload;
  }
  return root;
}

// The unscaled integer (big-endian two's complement, at most 16 bytes) with `scale` decimals
// as exact text: "-12345.67". False when it does not fit 128 bits.
bool decimal_text(const std::string& bytes, int scale, std::string& out) {
  if (bytes.empty() || bytes.size() > 16 || scale < 0 || scale > 38) return false;
  unsigned __int128 u =
      (static_cast<unsigned char>(bytes[0]) & 0x80) ? ~static_cast<unsigned __int128>(0) : 0;
  for (char b : bytes) u = (u << 8) | static_cast<unsigned char>(b);
  const bool negative = static_cast<__int128>(u) < 0;
  unsigned __int128 magnitude = negative ? ~u + 1 : u;
  // Digits from the last, the point after `scale` of them, at least one before it.
  std::string reversed;
  for (int i = 0; magnitude != 0 || i <= scale; ++i) {
    if (i == scale && scale > 0) reversed.push_back('.');
    reversed.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  }
  if (negative) reversed.push_back('-');
  out.assign(reversed.rbegin(), reversed.rend());
  return true;
}

// Columns of the row struct `which` ("before"/"after") that the schema says are decimals, with
// their scales.
std::vector<std::pair<std::string, int>> decimal_columns(const json::Node* schema,
                                                         std::string_view which) {
  std::vector<std::pair<std::string, int>> out;
  const json::Node* fields = schema ? schema->get("fields") : nullptr;
  if (!fields || !fields->is_array()) return out;
  for (const auto& f : fields->items) {
    const json::Node* name = f.get("field");
    if (!name || name->text != which) continue;
    const json::Node* columns = f.get("fields");
    if (!columns || !columns->is_array()) continue;
    for (const auto& c : columns->items) {
      const json::Node* type_name = c.get("name");
      const json::Node* column = c.get("field");
      if (!type_name || !column || type_name->text != "org.apache.kafka.connect.data.Decimal")
        continue;
      const json::Node* params = c.get("parameters");
      std::int64_t scale = 0;
      if (params) signed_of(params->get("scale"), scale);
      out.emplace_back(column->text, static_cast<int>(scale));
    }
  }
  return out;
}

Status decode_decimals(Row& row, const std::vector<std::pair<std::string, int>>& decimals,
                       std::string_view which) {
  for (auto& [name, field] : row) {
    for (const auto& [column, scale] : decimals) {
      if (column != name || field.kind != Field::Kind::string) continue;
      std::string text;
      std::optional<std::string> bytes = base64_decode(field.text);
      if (bytes && bytes->size() > 16)
        return unsupported(std::string(which) + "." + name +
                           ": a decimal wider than 16 bytes (up to 38 digits are supported)");
      if (!bytes || !decimal_text(*bytes, scale, text))
        return malformed(std::string(which) + "." + name + ": not a decimal in base64");
      field = {Field::Kind::number, std::move(text)};
    }
  }
  return {};
}

}  // namespace

Result<std::vector<Change>> decode_debezium(std::string_view key, const json::Node& root,
                                            const DecodeOptions& options) {
  const json::Node* schema = nullptr;
  const json::Node& envelope = unwrap(root, schema);
  if (envelope.is_null()) return std::vector<Change>{};  // a tombstone with a schema wrapper
  const json::Node* op = envelope.get("op");
  if (!op || !op->is_string()) return malformed("no \"op\": not a Debezium change event");
  Change c;
  c.format = Format::debezium;
  if (op->text == "c")
    c.op = Operation::insert;
  else if (op->text == "u")
    c.op = Operation::update;
  else if (op->text == "d")
    c.op = Operation::remove;
  else if (op->text == "r")
    c.op = Operation::read;
  else if (op->text == "t")
    return unsupported("a truncate (op \"t\"), not a row change");
  else if (op->text == "m")
    return unsupported("a logical decoding message (op \"m\"), not a row change");
  else
    return malformed("unknown op \"" + op->text + "\"");

  const json::Node* source = envelope.get("source");
  if (!source || !source->is_object()) return malformed("no \"source\" object");
  const json::Node* db = source->get("db");
  const json::Node* table = source->get("table");
  if (!db || !db->is_string() || !table || !table->is_string())
    return malformed("source has no \"db\" and \"table\"");
  c.database = db->text;
  c.table = table->text;
  // MySQL: binlog file, position and row in the event; PostgreSQL: the LSN.
  if (const json::Node* file = source->get("file"); file && file->is_string()) {
    c.position.file = file->text;
    if (!unsigned_of(source->get("pos"), c.position.offset))
      return malformed("source has \"file\" but no numeric \"pos\"");
    unsigned_of(source->get("row"), c.position.row);
  } else if (!unsigned_of(source->get("lsn"), c.position.offset)) {
    return malformed("source has neither a binlog \"file\"/\"pos\" nor an \"lsn\"");
  }
  if (!signed_of(source->get("ts_ms"), c.commit_ms) &&
      !signed_of(envelope.get("ts_ms"), c.commit_ms))
    return malformed("no \"ts_ms\" in source or envelope");

  if (!row_of(envelope.get("before"), c.before)) return malformed("\"before\" is not an object");
  if (!row_of(envelope.get("after"), c.after)) return malformed("\"after\" is not an object");
  if (c.op == Operation::remove ? c.before.empty() : c.after.empty())
    return malformed(std::string("op \"") + op->text + "\" without the row (\"" +
                     (c.op == Operation::remove ? "before" : "after") + "\" is null)");
  for (const char* which : {"before", "after"}) {
    auto decimals = decimal_columns(schema, which);
    if (decimals.empty()) continue;
    if (auto s = decode_decimals(std::string_view(which) == "before" ? c.before : c.after, decimals,
                                 which);
        !s)
      return s.error();
  }

  // The key: the record key's columns when there is one, else the configured columns.
  std::vector<std::string> named;
  if (key.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    auto parsed = json::parse(key);
    if (!parsed) return malformed("the record key is not JSON: " + parsed.error().message);
    const json::Node* key_schema = nullptr;
    const json::Node& k = unwrap(parsed.value(), key_schema);
    if (!k.is_object()) return malformed("the record key is not a JSON object");
    for (const auto& [name, value] : k.members) named.push_back(name);
  }
  auto k = key_of(c, c.op == Operation::remove ? c.before : c.after, named, options);
  if (!k) return k.error();
  c.key = std::move(k.value());
  std::vector<Change> out;
  out.push_back(std::move(c));
  return out;
}

}  // namespace gale::cdc::detail
