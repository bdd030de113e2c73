#include "gale/cdc/change.h"

#include <algorithm>
#include <charconv>

#include "decode.h"

namespace gale::cdc {
namespace detail {

bool row_of(const json::Node* node, Row& row) {
  row.clear();
  if (!node || node->is_null()) return true;
  if (!node->is_object()) return false;
  row.reserve(node->members.size());
  for (const auto& [name, value] : node->members) row.emplace_back(name, value.field());
  return true;
}

Row overlay(Row base, const Row& changes) {
  for (const auto& [name, field] : changes) {
    auto it =
        std::find_if(base.begin(), base.end(), [&](const auto& c) { return c.first == name; });
    if (it != base.end())
      it->second = field;
    else
      base.emplace_back(name, field);
  }
  return base;
}

bool unsigned_of(const json::Node* node, std::uint64_t& out) {
  if (!node || (node->kind != json::Node::Kind::number && !node->is_string())) return false;
  const std::string& t = node->text;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && end == t.data() + t.size();
}

bool signed_of(const json::Node* node, std::int64_t& out) {
  if (!node || (node->kind != json::Node::Kind::number && !node->is_string())) return false;
  const std::string& t = node->text;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && end == t.data() + t.size();
}

Result<Row> key_of(const Change& change, const Row& row, const std::vector<std::string>& named,
                   const DecodeOptions& options) {
  const std::vector<std::string>* columns = &named;
  if (columns->empty()) {
    auto it = options.key_columns.find(change.qualified_table());
    if (it == options.key_columns.end())
      return make_error(CdcErrc::no_key, "no primary key for table " + change.qualified_table() +
                                             ": the change names none and none is configured");
    columns = &it->second;
  }
  Row key;
  for (const std::string& column : *columns) {
    const Field* f = find(row, column);
    if (!f)
      return malformed("table " + change.qualified_table() + ": key column '" + column +
                       "' is not in the row");
    key.emplace_back(column, *f);
  }
  return key;
}

}  // namespace detail

std::optional<Format> format_named(std::string_view name) {
  if (name == "debezium") return Format::debezium;
  if (name == "canal") return Format::canal;
  if (name == "maxwell") return Format::maxwell;
  return std::nullopt;
}

std::string_view to_string(Format format) {
  switch (format) {
    case Format::debezium:
      return "debezium";
    case Format::canal:
      return "canal";
    case Format::maxwell:
      return "maxwell";
  }
  return "?";
}

std::string_view to_string(Operation op) {
  switch (op) {
    case Operation::insert:
      return "insert";
    case Operation::update:
      return "update";
    case Operation::remove:
      return "delete";
    case Operation::read:
      return "read";
  }
  return "?";
}

const Field* find(const Row& row, std::string_view column) {
  for (const auto& [name, field] : row)
    if (name == column) return &field;
  return nullptr;
}

std::string SourcePosition::to_string() const {
  return file + ":" + std::to_string(offset) + ":" + std::to_string(sequence) + ":" +
         std::to_string(row);
}

Result<std::vector<Change>> decode(Format format, std::string_view key, std::string_view value,
                                   const DecodeOptions& options) {
  // A tombstone (Debezium writes one after a delete, for log compaction) carries no change.
  const auto first = value.find_first_not_of(" \t\r\n");
  const auto last = value.find_last_not_of(" \t\r\n");
  const std::string_view trimmed =
      first == std::string_view::npos ? std::string_view() : value.substr(first, last - first + 1);
  if (trimmed.empty() || trimmed == "null") {
    if (format == Format::debezium) return std::vector<Change>{};
    return detail::malformed("an empty message");
  }
  if (trimmed.front() != '{') return detail::malformed("the message is not a JSON object");
  auto root = json::parse(value);
  if (!root) return root.error();
  switch (format) {
    case Format::debezium:
      return detail::decode_debezium(key, root.value(), options);
    case Format::canal:
      return detail::decode_canal(root.value(), options);
    case Format::maxwell:
      return detail::decode_maxwell(root.value(), options);
  }
  return detail::malformed("unknown format");
}

namespace {

// Each part with its length first: no two different (database, table, key) give one string.
void append_part(std::string& out, std::string_view part) {
  out += std::to_string(part.size());
  out += ':';
  out += part;
}

std::size_t fingerprint(const Change& c) {
  std::string text(to_string(c.op));
  for (const Row* row : {&c.before, &c.after})
    for (const auto& [name, field] : *row) {
      append_part(text, name);
      text += static_cast<char>('0' + static_cast<int>(field.kind));
      append_part(text, field.text);
    }
  return std::hash<std::string>{}(text);
}

}  // namespace

bool Deduplicator::admit(const Change& change) {
  std::string row;
  append_part(row, change.database);
  append_part(row, change.table);
  for (const auto& [name, field] : change.key) {  // kind and text: null differs from ""
    row += static_cast<char>('0' + static_cast<int>(field.kind));
    append_part(row, field.text);
  }
  const Last next{change.position, fingerprint(change)};
  auto [it, fresh] = last_.try_emplace(std::move(row), next);
  if (fresh) return true;
  if (change.position < it->second.position) return false;
  if (change.position == it->second.position && next.content == it->second.content) return false;
  it->second = next;
  return true;
}

}  // namespace gale::cdc
