#pragma once
// Opens an SQLite file for Nimbus's own stores (the metric history, the anomaly log): creates
// its folder, opens it serialized (one connection shared by threads), waits up to 5 s on a
// lock, and runs `schema`. The error names the file and what SQLite said.
#include <filesystem>

#include "gale/result.h"

struct sqlite3;

namespace gale::metric_history {

// `what` names the store in errors ("metric history").
Result<sqlite3*> open_sqlite_file(const std::filesystem::path& file, const char* schema,
                                  const std::string& what);

}  // namespace gale::metric_history
