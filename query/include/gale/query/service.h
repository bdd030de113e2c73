#pragma once
// The data service behind gale-query: query templates run against the result database, with
// their parameters checked and bound, one page at a time, answered as JSON.
//
//   GET /api/v1/queries                        the templates, their parameters and types
//   GET /api/v1/queries/<name>?p=v&limit=&offset=
//       {"query", "columns": [...], "rows": [[...]], "limit", "offset", "next_offset"}
//       every value as its exact text (a numeric keeps every digit) or null
//
// Every session is read-only (default_transaction_read_only) with statement_timeout set, so a
// template can neither write nor run forever. Who may call is the daemon's business
// (query/src/main.cc: the cluster's tokens, permission data.query).
//
// Threading: handle() is thread-safe; it takes a connection from a pool and returns it.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gale/postgres/client.h"
#include "gale/query/templates.h"

namespace gale::query {

struct ServiceOptions {
  postgres::ConnectionOptions database;
  int connections = 4;                      // the pool; at most this many queries at once
  int page_max_rows = 1000;                 // query.page.max.rows
  int page_default_rows = 100;              // when no limit is asked (capped by the max)
  std::chrono::milliseconds timeout{5000};  // query.timeout.ms: statement_timeout
};

struct Response {
  int status = 200;
  std::string body;  // JSON
};

class QueryService {
 public:
  // Connects the pool and prepares every template on each connection. bad_template naming the
  // template whose SQL does not prepare, with the server's reason; unavailable naming the
  // database if it cannot be reached.
  static Result<std::unique_ptr<QueryService>> start(Templates templates, ServiceOptions options);

  // Answers one request (`target`: path and query string). 404 for another path or an unknown
  // template, 400 naming a bad parameter, 503 when the database is unreachable, 504 when the
  // query ran past the timeout.
  Response handle(std::string_view method, std::string_view target);

  const Templates& templates() const { return templates_; }

 private:
  QueryService(Templates templates, ServiceOptions options);
  Response list() const;
  Response run(const Template& t, std::string_view query_string);

  Templates templates_;
  ServiceOptions options_;
  std::mutex mu_;
  std::condition_variable free_cv_;
  std::vector<std::unique_ptr<postgres::PostgresClient>> free_;
};

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}} ('+' is a space). bad_request naming a key given
// twice or bad percent-encoding.
Result<std::map<std::string, std::string>> parse_query_string(std::string_view query);

}  // namespace gale::query
