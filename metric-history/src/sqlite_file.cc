#include "gale/metric_history/sqlite_file.h"

#include <sqlite3.h>

#include "gale/common/errc.h"

namespace gale::metric_history {

Result<sqlite3*> open_sqlite_file(const std::filesystem::path& file, const char* schema,
                                  const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  char* message = nullptr;
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    rc = sqlite3_exec(db, schema, nullptr, nullptr, &message);
  }
  if (rc == SQLITE_OK) return db;
  std::string why = message ? message : (db ? sqlite3_errmsg(db) : "out of memory");
  sqlite3_free(message);
  sqlite3_close(db);
  return make_error(CommonErrc::io_error, what + ": cannot use " + file.string() + ": " + why);
}

}  // namespace gale::metric_history
