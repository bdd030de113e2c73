#pragma once
// Where and how the PostgreSQL connector connects, how its bolts batch, and how the upsert bolt
// maps tuples to a table: read from the topology's Config (postgres.* keys) or set in code.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "gale/config.h"

namespace gale::postgres {

namespace conf {
inline constexpr const char* kHost = "postgres.host";             // default 127.0.0.1
inline constexpr const char* kPort = "postgres.port";             // default 5432
inline constexpr const char* kDatabase = "postgres.database";     // default postgres
inline constexpr const char* kUser = "postgres.user";             // default gale
inline constexpr const char* kPassword = "postgres.password";     // default none
inline constexpr const char* kTimeoutMs = "postgres.timeout.ms";  // default 5000
inline constexpr const char* kReconnectBackoffMaxMs = "postgres.reconnect.backoff.max.ms";  // 2000
inline constexpr const char* kBatchSize = "postgres.batch.size";               // default 200
inline constexpr const char* kFlushIntervalMs = "postgres.flush.interval.ms";  // default 50
// The upsert bolt's mapping (UpsertMapping).
inline constexpr const char* kUpsertTable = "postgres.upsert.table";
inline constexpr const char* kUpsertColumns = "postgres.upsert.columns";
inline constexpr const char* kUpsertKey = "postgres.upsert.key";
inline constexpr const char* kUpsertVersion = "postgres.upsert.version";
}  // namespace conf

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 5432;
  std::string database = "postgres";
  std::string user = "gale";
  std::string password;  // none: libpq's own ways (~/.pgpass, PGPASSWORD) or trust
  // Bounds the connect and every wait for the server within a call; a call that waits longer
  // fails with `timeout` and drops the connection.
  std::chrono::milliseconds timeout{5000};
  // After a failed connect the next attempt waits 50 ms, doubling up to this.
  std::chrono::milliseconds reconnect_backoff_max{2000};

  // From the postgres.* keys, defaults for unset ones. Throws std::invalid_argument naming the
  // key, the value and what was expected.
  static ConnectionOptions from_config(const Config& config);
  // "user@host:port/database", for messages (never the password).
  std::string describe() const;
};

struct BatchOptions {
  int batch_size = 200;  // inputs per transaction; 1 writes each input at once
  // A partial batch goes out when an input arrives and the oldest buffered input has waited
  // this long, and at every tick tuple whatever its age.
  std::chrono::milliseconds flush_interval{50};

  static BatchOptions from_config(const Config& config);
};

// A PostgreSQL identifier as the mappings accept it: a letter or '_', then letters, digits
// or '_', at most 63 bytes (PostgreSQL's limit), case kept as written (it is quoted).
bool is_identifier(std::string_view name);

// How PostgresUpsertBolt writes a tuple: one row of `table`, `columns[i]` from the tuple's field
// `fields[i]`; a row whose `key` already exists is updated, and with a `version` column only if
// the stored version is older than the tuple's (so a replayed or reordered change never goes
// back in time).
//   postgres.upsert.table    "schema.table" or "table" (the connection's search_path)
//   postgres.upsert.columns  "column" or "column=field", comma-separated (field: the column's name)
//   postgres.upsert.key      comma-separated columns, among the columns, with a unique index
//   postgres.upsert.version  a column among the columns (optional)
struct UpsertMapping {
  std::string schema;  // empty: the search_path's first schema
  std::string table;
  std::vector<std::string> columns;
  std::vector<std::string> fields;
  std::vector<std::string> key;
  std::string version;  // empty: last write wins

  // Throws std::invalid_argument naming the key and what is wrong with it.
  static UpsertMapping from_config(const Config& config);
  std::string qualified_table() const { return schema.empty() ? table : schema + "." + table; }
  // INSERT ... VALUES ($1..$n) ON CONFLICT (key) DO UPDATE SET ... [WHERE version older], with
  // every identifier quoted.
  std::string upsert_sql() const;
};

}  // namespace gale::postgres
