#include "gale/metric_history/store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "gale/common/errc.h"
#include "gale/metric_history/sqlite_file.h"

namespace gale::metric_history {

namespace {

// One prepared statement, finalized when it goes.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error.
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : "";
  }
  std::string error() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

Error failure(sqlite3* db, const std::string& what) {
  return make_error(CommonErrc::io_error,
                    "metric history: " + what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

std::string labels_text(const MetricLabels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j.dump();
}

MetricLabels labels_from(const std::string& text) {
  MetricLabels out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (v.is_string()) out.emplace_back(k, v.get<std::string>());
  return out;
}

std::string key_of(const std::string& topology, const std::string& component,
                   const std::string& name, const std::string& labels) {
  return topology + '\n' + component + '\n' + name + '\n' + labels;
}

constexpr const char* kSchema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, topology TEXT NOT NULL,"
    " component TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL,"
    " UNIQUE(topology, component, name, labels));"
    // res 0: every sample; 1: the minute averages.
    "CREATE TABLE IF NOT EXISTS points(series INTEGER NOT NULL, res INTEGER NOT NULL,"
    " t INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY(series, res, t)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS points_by_time ON points(res, t);"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

}  // namespace

HistoryStore::HistoryStore(sqlite3* db, HistoryLimits limits) : db_(db), limits_(limits) {}

HistoryStore::~HistoryStore() {
  sqlite3_close(db_);
}

Result<std::unique_ptr<HistoryStore>> HistoryStore::open(const std::filesystem::path& file,
                                                         HistoryLimits limits) {
  auto db = open_sqlite_file(file, kSchema, "metric history");
  if (!db) return db.error();
  std::unique_ptr<HistoryStore> store(new HistoryStore(*db, limits));
  if (auto loaded = store->load(); !loaded)
    return make_error(CommonErrc::io_error, loaded.error().message + " (" + file.string() + ")");
  return store;
}

Status HistoryStore::load() {
  ids_.clear();
  rolled_until_ = -1;
  Statement series(db_, "SELECT id, topology, component, name, labels FROM series");
  if (!series.ok()) return failure(db_, "reading the series");
  while (series.step() == SQLITE_ROW)
    ids_[key_of(series.text(1), series.text(2), series.text(3), series.text(4))] =
        series.integer(0);
  Statement rolled(db_, "SELECT value FROM meta WHERE key = 'rolled_until'");
  if (rolled.ok() && rolled.step() == SQLITE_ROW) rolled_until_ = rolled.integer(0);
  return {};
}

Status HistoryStore::exec(const char* sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error(CommonErrc::io_error, "metric history: " + what);
  }
  return {};
}

Result<std::int64_t> HistoryStore::series_id(const Point& p) {
  std::string labels = labels_text(p.labels);
  std::string key = key_of(p.topology, p.component, p.name, labels);
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  if (ids_.size() >= limits_.max_series) {
    if (!full_logged_)
      spdlog::warn(
          "metric history: {} series kept, the most it keeps "
          "(nimbus.metrics.history.max.series); new ones such as {}/{}/{} are not",
          ids_.size(), p.topology, p.component, p.name);
    full_logged_ = true;
    return std::int64_t{-1};
  }
  Statement insert(db_, "INSERT INTO series(topology, component, name, labels) VALUES(?, ?, ?, ?)");
  if (!insert.ok()) return failure(db_, "adding a series");
  insert.bind(1, p.topology).bind(2, p.component).bind(3, p.name).bind(4, labels);
  if (insert.step() != SQLITE_DONE) return failure(db_, "adding a series");
  std::int64_t id = sqlite3_last_insert_rowid(db_);
  ids_[key] = id;
  return id;
}

Status HistoryStore::roll_up(std::int64_t t_secs) {
  const std::int64_t minute = limits_.coarse_secs;
  std::int64_t current = t_secs - t_secs % minute;  // the minute still filling
  if (rolled_until_ < 0 || rolled_until_ < current - limits_.fine_keep_secs)
    rolled_until_ = std::max<std::int64_t>(rolled_until_, current - limits_.fine_keep_secs);
  if (current <= rolled_until_) return {};
  Statement roll(db_,
                 "INSERT OR REPLACE INTO points(series, res, t, value) SELECT series, 1, "
                 "(t / ?1) * ?1, avg(value) FROM points WHERE res = 0 AND t >= ?2 AND t < ?3 "
                 "GROUP BY series, t / ?1");
  if (!roll.ok()) return failure(db_, "rolling up minutes");
  roll.bind(1, minute).bind(2, rolled_until_).bind(3, current);
  if (roll.step() != SQLITE_DONE) return failure(db_, "rolling up minutes");
  Statement mark(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES('rolled_until', ?)");
  if (!mark.ok()) return failure(db_, "rolling up minutes");
  mark.bind(1, current);
  if (mark.step() != SQLITE_DONE) return failure(db_, "rolling up minutes");
  rolled_until_ = current;
  return {};
}

Status HistoryStore::record(std::int64_t t_secs, const std::vector<Point>& points) {
  std::lock_guard lock(mu_);
  if (auto s = exec("BEGIN"); !s) return s;
  auto fail = [&](Error e) -> Status {
    (void)exec("ROLLBACK");
    (void)load();  // what the rollback undid (new series, a roll-up) is forgotten here too
    return e;
  };
  Statement insert(db_, "INSERT OR REPLACE INTO points(series, res, t, value) VALUES(?, 0, ?, ?)");
  if (!insert.ok()) return fail(failure(db_, "storing points"));
  for (const Point& p : points) {
    auto id = series_id(p);
    if (!id) return fail(id.error());
    if (*id < 0) continue;
    insert.bind(1, *id).bind(2, t_secs).bind(3, p.value);
    if (insert.step() != SQLITE_DONE) return fail(failure(db_, "storing points"));
    insert.reset();
  }
  if (auto s = roll_up(t_secs); !s) return fail(s.error());
  Statement expire(db_, "DELETE FROM points WHERE res = ? AND t < ?");
  if (!expire.ok()) return fail(failure(db_, "dropping old points"));
  for (auto [res, keep] : {std::pair{0, limits_.fine_keep_secs}, {1, limits_.coarse_keep_secs}}) {
    expire.bind(1, std::int64_t{res}).bind(2, t_secs - keep);
    if (expire.step() != SQLITE_DONE) return fail(failure(db_, "dropping old points"));
    expire.reset();
  }
  // Once an hour: series with no point left (a topology killed a week ago) are forgotten.
  if (t_secs >= next_sweep_) {
    next_sweep_ = t_secs + 3600;
    if (auto s = exec("DELETE FROM series WHERE id NOT IN (SELECT DISTINCT series FROM points)");
        !s)
      return fail(s.error());
    Statement left(db_, "SELECT id FROM series");
    std::set<std::int64_t> kept;
    while (left.ok() && left.step() == SQLITE_ROW) kept.insert(left.integer(0));
    std::erase_if(ids_, [&](const auto& entry) { return !kept.contains(entry.second); });
    full_logged_ = full_logged_ && ids_.size() >= limits_.max_series;
  }
  if (auto committed = exec("COMMIT"); !committed) return fail(committed.error());
  return {};
}

Result<HistoryAnswer> HistoryStore::query(const HistoryQuery& q, std::int64_t now_secs) const {
  std::lock_guard lock(mu_);
  HistoryAnswer answer;
  bool fine = q.resolution_secs == limits_.fine_secs ||
              (q.resolution_secs == 0 && q.from_secs >= now_secs - limits_.fine_keep_secs);
  if (q.resolution_secs != 0 && q.resolution_secs != limits_.fine_secs &&
      q.resolution_secs != limits_.coarse_secs)
    return make_error(CommonErrc::bad_setting,
                      "'resolution' must be " + std::to_string(limits_.fine_secs) + " or " +
                          std::to_string(limits_.coarse_secs) + " seconds, or absent");
  answer.resolution_secs = fine ? limits_.fine_secs : limits_.coarse_secs;
  Statement series(db_,
                   "SELECT id, component, name, labels FROM series WHERE topology = ? "
                   "ORDER BY component, name, labels");
  Statement points(db_,
                   "SELECT t, value FROM points WHERE series = ? AND res = ? AND t >= ? AND "
                   "t <= ? ORDER BY t");
  if (!series.ok() || !points.ok()) return failure(db_, "reading");
  series.bind(1, q.topology);
  std::int64_t total = 0;
  while (series.step() == SQLITE_ROW) {
    std::string component = series.text(1), name = series.text(2);
    if (!q.component.empty() && component != q.component) continue;
    if (!q.names.empty() && std::find(q.names.begin(), q.names.end(), name) == q.names.end())
      continue;
    HistorySeries s{component, name, labels_from(series.text(3)), {}};
    points.bind(1, series.integer(0))
        .bind(2, std::int64_t{fine ? 0 : 1})
        .bind(3, q.from_secs)
        .bind(4, q.to_secs);
    while (points.step() == SQLITE_ROW) s.points.emplace_back(points.integer(0), points.real(1));
    points.reset();
    total += static_cast<std::int64_t>(s.points.size());
    if (total > kMaxPoints)
      return make_error(CommonErrc::bad_setting,
                        "the query asks for more than " + std::to_string(kMaxPoints) +
                            " points; name fewer figures or a component, or a shorter range");
    if (!s.points.empty()) answer.series.push_back(std::move(s));
  }
  return answer;
}

bool HistoryStore::knows(const std::string& topology) const {
  std::lock_guard lock(mu_);
  std::string prefix = topology + '\n';
  auto it = ids_.lower_bound(prefix);
  return it != ids_.end() && it->first.starts_with(prefix);
}

std::size_t HistoryStore::series_count() const {
  std::lock_guard lock(mu_);
  return ids_.size();
}

}  // namespace gale::metric_history
