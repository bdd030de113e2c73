#include "gale/postgres/options.h"

#include <algorithm>
#include <stdexcept>

namespace gale::postgres {

namespace {

std::string trimmed(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    out.push_back(trimmed(list.substr(start, comma - start)));
    start = comma + 1;
  }
  return out;
}

std::string quoted(std::string_view identifier) {
  return "\"" + std::string(identifier) + "\"";  // is_identifier() admits no quote
}

std::string non_empty(const Config& config, const char* key, std::string fallback,
                      const char* what) {
  std::string value = config.get_string(key, fallback);
  if (value.empty())
    throw std::invalid_argument(std::string(key) + ": expected " + what + ", got \"\"");
  return value;
}

}  // namespace

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

ConnectionOptions ConnectionOptions::from_config(const Config& config) {
  ConnectionOptions o;
  o.host = non_empty(config, conf::kHost, o.host, "a host name or address");
  o.port = static_cast<int>(config.get_int_in(conf::kPort, o.port, 1, 65535));
  o.database = non_empty(config, conf::kDatabase, o.database, "a database name");
  o.user = non_empty(config, conf::kUser, o.user, "a role name");
  o.password = config.get_string(conf::kPassword, "");
  o.timeout = std::chrono::milliseconds(
      config.get_int_in(conf::kTimeoutMs, o.timeout.count(), 100, 600'000));
  o.reconnect_backoff_max = std::chrono::milliseconds(config.get_int_in(
      conf::kReconnectBackoffMaxMs, o.reconnect_backoff_max.count(), 50, 600'000));
  return o;
}

std::string ConnectionOptions::describe() const {
  return user + "@" + host + ":" + std::to_string(port) + "/" + database;
}

BatchOptions BatchOptions::from_config(const Config& config) {
  BatchOptions o;
  o.batch_size = static_cast<int>(config.get_int_in(conf::kBatchSize, o.batch_size, 1, 100'000));
  o.flush_interval = std::chrono::milliseconds(
      config.get_int_in(conf::kFlushIntervalMs, o.flush_interval.count(), 0, 600'000));
  return o;
}

UpsertMapping UpsertMapping::from_config(const Config& config) {
  UpsertMapping m;
  auto refuse = [](const char* key, const std::string& why) {
    return std::invalid_argument(std::string(key) + ": " + why);
  };
  std::string table = config.get_string(conf::kUpsertTable, "");
  if (table.empty()) throw refuse(conf::kUpsertTable, "not set; name the table to write");
  if (auto dot = table.find('.'); dot != std::string::npos) {
    m.schema = table.substr(0, dot);
    m.table = table.substr(dot + 1);
  } else {
    m.table = table;
  }
  if ((!m.schema.empty() || table.front() == '.') && !is_identifier(m.schema))
    throw refuse(conf::kUpsertTable, "\"" + table +
                                         "\" is not schema.table or table of plain "
                                         "identifiers (letters, digits, _; at most 63 bytes)");
  if (!is_identifier(m.table))
    throw refuse(conf::kUpsertTable, "\"" + table +
                                         "\" is not schema.table or table of plain "
                                         "identifiers (letters, digits, _; at most 63 bytes)");

  std::string columns = config.get_string(conf::kUpsertColumns, "");
  if (columns.empty()) throw refuse(conf::kUpsertColumns, "not set; list the columns to write");
  for (const std::string& item : split_list(columns)) {
    auto eq = item.find('=');
    std::string column = trimmed(item.substr(0, eq));
    std::string field = eq == std::string::npos ? column : trimmed(item.substr(eq + 1));
    if (!is_identifier(column))
      throw refuse(conf::kUpsertColumns, "\"" + item +
                                             "\" is not a column name (letters, "
                                             "digits, _) or column=field");
    if (field.empty()) throw refuse(conf::kUpsertColumns, "\"" + item + "\" names no field");
    if (std::find(m.columns.begin(), m.columns.end(), column) != m.columns.end())
      throw refuse(conf::kUpsertColumns, "column \"" + column + "\" is listed twice");
    m.columns.push_back(column);
    m.fields.push_back(field);
  }
  auto listed = [&](const std::string& column) {
    return std::find(m.columns.begin(), m.columns.end(), column) != m.columns.end();
  };
  std::string key = config.get_string(conf::kUpsertKey, "");
  if (key.empty())
    throw refuse(conf::kUpsertKey, "not set; name the columns of the table's unique key");
  for (const std::string& column : split_list(key)) {
    if (!listed(column))
      throw refuse(conf::kUpsertKey, "\"" + column + "\" is not among " + conf::kUpsertColumns +
                                         " (" + columns + ")");
    m.key.push_back(column);
  }
  if (m.key.size() == m.columns.size())
    throw refuse(conf::kUpsertColumns, "every column is in the key; there is nothing to update");
  m.version = config.get_string(conf::kUpsertVersion, "");
  if (!m.version.empty()) {
    if (!listed(m.version))
      throw refuse(conf::kUpsertVersion, "\"" + m.version + "\" is not among " +
                                             conf::kUpsertColumns + " (" + columns + ")");
    if (std::find(m.key.begin(), m.key.end(), m.version) != m.key.end())
      throw refuse(conf::kUpsertVersion, "\"" + m.version + "\" is a key column");
  }
  return m;
}

std::string UpsertMapping::upsert_sql() const {
  std::string target = schema.empty() ? quoted(table) : quoted(schema) + "." + quoted(table);
  std::string sql = "INSERT INTO " + target + " AS t (";
  std::string values;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    sql += (i ? ", " : "") + quoted(columns[i]);
    values += (i ? ", $" : "$") + std::to_string(i + 1);
  }
  sql += ") VALUES (" + values + ") ON CONFLICT (";
  for (std::size_t i = 0; i < key.size(); ++i) sql += (i ? ", " : "") + quoted(key[i]);
  sql += ") DO UPDATE SET ";
  bool first = true;
  for (const std::string& column : columns) {
    if (std::find(key.begin(), key.end(), column) != key.end()) continue;
    sql += (first ? "" : ", ") + quoted(column) + " = EXCLUDED." + quoted(column);
    first = false;
  }
  if (!version.empty())
    sql += " WHERE t." + quoted(version) + " IS NULL OR t." + quoted(version) + " < EXCLUDED." +
           quoted(version);
  return sql;
}

}  // namespace gale::postgres
