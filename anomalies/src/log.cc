#include "gale/anomalies/log.h"

#include <sqlite3.h>

#include "gale/common/errc.h"
#include "gale/metric_history/sqlite_file.h"

namespace gale::anomalies {

namespace {

Error failure(sqlite3* db, const std::string& what) {
  return make_error(CommonErrc::io_error,
                    "anomaly log: " + what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  void text(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  std::string column_text(int i) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : "";
  }
};

constexpr const char* kSchema =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS anomalies(id INTEGER PRIMARY KEY, rule TEXT NOT NULL,"
    " severity TEXT NOT NULL, topology TEXT NOT NULL, component TEXT NOT NULL,"
    " worker TEXT NOT NULL, message TEXT NOT NULL, figure TEXT NOT NULL, value REAL NOT NULL,"
    " threshold REAL NOT NULL, raised INTEGER NOT NULL, cleared INTEGER);"
    "CREATE INDEX IF NOT EXISTS anomalies_open ON anomalies(cleared);";

}  // namespace

AnomalyLog::~AnomalyLog() {
  sqlite3_close(db_);
}

Result<std::unique_ptr<AnomalyLog>> AnomalyLog::open(const std::filesystem::path& file,
                                                     std::int64_t keep_secs) {
  auto db = metric_history::open_sqlite_file(file, kSchema, "anomaly log");
  if (!db) return db.error();
  return std::unique_ptr<AnomalyLog>(new AnomalyLog(*db, keep_secs));
}

Status AnomalyLog::raised(Anomaly& a) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT INTO anomalies(rule, severity, topology, component, worker, message, figure, "
          "value, threshold, raised, cleared) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)");
  if (!st.s) return failure(db_, "recording an anomaly");
  st.text(1, a.rule);
  st.text(2, a.severity);
  st.text(3, a.topology);
  st.text(4, a.component);
  st.text(5, a.worker);
  st.text(6, a.message);
  st.text(7, a.figure);
  sqlite3_bind_double(st.s, 8, a.value);
  sqlite3_bind_double(st.s, 9, a.threshold);
  sqlite3_bind_int64(st.s, 10, a.raised_secs);
  if (sqlite3_step(st.s) != SQLITE_DONE) return failure(db_, "recording an anomaly");
  a.id = sqlite3_last_insert_rowid(db_);
  return {};
}

Status AnomalyLog::cleared(const Anomaly& a) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "UPDATE anomalies SET cleared = ? WHERE id = ?");
  if (!st.s) return failure(db_, "clearing an anomaly");
  sqlite3_bind_int64(st.s, 1, a.cleared_secs.value_or(0));
  sqlite3_bind_int64(st.s, 2, a.id);
  if (sqlite3_step(st.s) != SQLITE_DONE) return failure(db_, "clearing an anomaly");
  return {};
}

Result<std::vector<Anomaly>> AnomalyLog::list(bool open_only, const std::string& topology,
                                              std::size_t limit) const {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT id, rule, severity, topology, component, worker, message, figure, value, "
          "threshold, raised, cleared FROM anomalies WHERE (?1 = 0 OR cleared IS NULL) AND "
          "(?2 = '' OR topology = ?2) ORDER BY id DESC LIMIT ?3");
  if (!st.s) return failure(db_, "reading");
  sqlite3_bind_int(st.s, 1, open_only ? 1 : 0);
  st.text(2, topology);
  sqlite3_bind_int64(st.s, 3, static_cast<std::int64_t>(limit));
  std::vector<Anomaly> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    Anomaly a;
    a.id = sqlite3_column_int64(st.s, 0);
    a.rule = st.column_text(1);
    a.severity = st.column_text(2);
    a.topology = st.column_text(3);
    a.component = st.column_text(4);
    a.worker = st.column_text(5);
    a.message = st.column_text(6);
    a.figure = st.column_text(7);
    a.value = sqlite3_column_double(st.s, 8);
    a.threshold = sqlite3_column_double(st.s, 9);
    a.raised_secs = sqlite3_column_int64(st.s, 10);
    if (sqlite3_column_type(st.s, 11) != SQLITE_NULL)
      a.cleared_secs = sqlite3_column_int64(st.s, 11);
    out.push_back(std::move(a));
  }
  if (rc != SQLITE_DONE) return failure(db_, "reading");
  return out;
}

Status AnomalyLog::expire(std::int64_t now_secs) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "DELETE FROM anomalies WHERE cleared IS NOT NULL AND cleared < ?");
  if (!st.s) return failure(db_, "dropping past anomalies");
  sqlite3_bind_int64(st.s, 1, now_secs - keep_secs_);
  if (sqlite3_step(st.s) != SQLITE_DONE) return failure(db_, "dropping past anomalies");
  return {};
}

}  // namespace gale::anomalies
