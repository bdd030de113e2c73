// Canal's flat JSON (canal.mq.flatMessage): {"data": [rows], "old": [previous values of the
// changed columns, per row], "type", "database", "table", "pkNames", "isDdl", "es", "ts",
// "id"}; several rows per message. Canal writes every value as a string (null for NULL).
#include "decode.h"

namespace gale::cdc::detail {

Result<std::vector<Change>> decode_canal(const json::Node& root, const DecodeOptions& options) {
  const json::Node* type = root.get("type");
  if (!type || !type->is_string()) return malformed("no \"type\": not a Canal flat message");
  if (const json::Node* ddl = root.get("isDdl"); ddl && ddl->text == "true")
    return unsupported("a DDL statement (" + type->text + "), not a row change");
  Operation op;
  if (type->text == "INSERT")
    op = Operation::insert;
  else if (type->text == "UPDATE")
    op = Operation::update;
  else if (type->text == "DELETE")
    op = Operation::remove;
  else
    return unsupported("type \"" + type->text + "\", not a row change");
  const json::Node* database = root.get("database");
  const json::Node* table = root.get("table");
  if (!database || !database->is_string() || !table || !table->is_string())
    return malformed("no \"database\" and \"table\"");
  const json::Node* data = root.get("data");
  if (!data || !data->is_array() || data->items.empty())
    return malformed("\"data\" is not a non-empty array of rows");
  const json::Node* old = root.get("old");
  if (old && !old->is_null() && (!old->is_array() || old->items.size() != data->items.size()))
    return malformed("\"old\" is not an array of one entry per row of \"data\"");
  std::int64_t es = 0;
  std::uint64_t id = 0;
  if (!signed_of(root.get("es"), es) || es < 0)
    return malformed("no \"es\" (the source's execute time, ms)");
  // "id" (the batch) and "ts" (when Canal handled it) are always numbers when Canal writes them:
  // anything else is not Canal's message.
  if (const json::Node* batch = root.get("id"); batch && !unsigned_of(batch, id))
    return malformed("\"id\" (the batch id) is not a number");
  std::int64_t ts = 0;
  if (const json::Node* handled = root.get("ts"); handled && !signed_of(handled, ts))
    return malformed("\"ts\" is not a number (ms)");
  std::vector<std::string> pk;
  if (const json::Node* names = root.get("pkNames"); names && names->is_array())
    for (const auto& n : names->items) pk.push_back(n.text);

  std::vector<Change> out;
  for (std::size_t i = 0; i < data->items.size(); ++i) {
    Change c;
    c.format = Format::canal;
    c.op = op;
    c.database = database->text;
    c.table = table->text;
    c.commit_ms = es;
    // Canal's flat message has no binlog offset: es (the binlog event's time, whole seconds in
    // ms) and the batch id, which every message of a batch shares. Rows of one batch and
    // second tie; Deduplicator then tells them apart by content.
    c.position = {"", static_cast<std::uint64_t>(es), id, 0};
    Row row;
    if (!row_of(&data->items[i], row) || row.empty())
      return malformed("data[" + std::to_string(i) + "] is not an object of columns");
    if (op == Operation::remove) {
      c.before = std::move(row);
    } else {
      c.after = std::move(row);
      if (op == Operation::update) {
        Row previous;
        if (old && old->is_array() && !row_of(&old->items[i], previous))
          return malformed("old[" + std::to_string(i) + "] is not an object of columns");
        c.before = overlay(c.after, previous);
      }
    }
    auto key = key_of(c, op == Operation::remove ? c.before : c.after, pk, options);
    if (!key) return key.error();
    c.key = std::move(key.value());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace gale::cdc::detail
