// Maxwell's JSON: {"database", "table", "type", "ts" (s), "xid", "xoffset", "commit",
// "position" ("binlog.000006:800911", with output_binlog_position), "primary_key_columns"
// (with output_primary_key_columns), "data", "old" (previous values of the changed columns)}.
#include <charconv>
#include <cstdint>

#include "decode.h"

namespace gale::cdc::detail {

Result<std::vector<Change>> decode_maxwell(const json::Node& root, const DecodeOptions& options) {
  const json::Node* type = root.get("type");
  if (!type || !type->is_string()) return malformed("no \"type\": not a Maxwell event");
  Operation op;
  if (type->text == "insert")
    op = Operation::insert;
  else if (type->text == "update")
    op = Operation::update;
  else if (type->text == "delete")
    op = Operation::remove;
  else if (type->text == "bootstrap-insert")
    op = Operation::read;
  else if (type->text == "bootstrap-start" || type->text == "bootstrap-complete")
    return std::vector<Change>{};  // markers around a bootstrap: no row
  else
    return unsupported("type \"" + type->text + "\", not a row change");
  Change c;
  c.format = Format::maxwell;
  c.op = op;
  const json::Node* database = root.get("database");
  const json::Node* table = root.get("table");
  if (!database || !database->is_string() || !table || !table->is_string())
    return malformed("no \"database\" and \"table\"");
  c.database = database->text;
  c.table = table->text;
  std::int64_t ts = 0;
  if (!signed_of(root.get("ts_ms"), c.commit_ms)) {
    if (!signed_of(root.get("ts"), ts)) return malformed("no \"ts\"");
    c.commit_ms = ts * 1000;
  }
  std::uint64_t xid = 0;
  unsigned_of(root.get("xid"), xid);
  // Maxwell writes xoffset on every row of a transaction but the last, which has "commit":
  // true instead: the last row sorts after the others.
  if (!unsigned_of(root.get("xoffset"), c.position.row)) {
    const json::Node* commit = root.get("commit");
    if (commit && commit->text == "true") c.position.row = UINT64_MAX;
  }
  if (const json::Node* position = root.get("position"); position && position->is_string()) {
    const std::string& p = position->text;
    const auto colon = p.rfind(':');
    std::uint64_t offset = 0;
    if (colon == std::string::npos ||
        std::from_chars(p.data() + colon + 1, p.data() + p.size(), offset).ptr !=
            p.data() + p.size())
      return malformed("\"position\" is not binlog-file:offset: \"" + p + "\"");
    c.position.file = p.substr(0, colon);
    c.position.offset = offset;
  } else {  // without output_binlog_position: commit time, then the transaction id
    c.position.offset = static_cast<std::uint64_t>(c.commit_ms);
    c.position.sequence = xid;
  }
  Row data;
  if (!row_of(root.get("data"), data) || data.empty())
    return malformed("\"data\" is not an object of columns");
  if (op == Operation::remove) {
    c.before = std::move(data);
  } else {
    c.after = std::move(data);
    if (op == Operation::update) {
      Row previous;
      if (!row_of(root.get("old"), previous)) return malformed("\"old\" is not an object");
      c.before = overlay(c.after, previous);
    }
  }
  std::vector<std::string> pk;
  if (const json::Node* names = root.get("primary_key_columns"); names && names->is_array())
    for (const auto& n : names->items) pk.push_back(n.text);
  auto key = key_of(c, op == Operation::remove ? c.before : c.after, pk, options);
  if (!key) return key.error();
  c.key = std::move(key.value());
  std::vector<Change> out;
  out.push_back(std::move(c));
  return out;
}

}  // namespace gale::cdc::detail
