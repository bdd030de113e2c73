#include "gale/query/service.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>

namespace gale::query {

namespace {

using nlohmann::json;
constexpr std::string_view kPrefix = "/api/v1/queries";

Response json_response(int status, const json& body) {
  return {status, body.dump()};
}

Response error_response(const Error& error) {
  auto code = static_cast<QueryErrc>(error.code.value());
  int status = error.code.category() == query_category() ? http_status(code) : 500;
  return json_response(status, json{{"error", error.message}});
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return make_error(QueryErrc::bad_request, "bad percent-encoding in the query string");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A page bound: an integer in [min, max], or the fallback when absent.
Result<std::int64_t> page_bound(const std::map<std::string, std::string>& args,
                                const std::string& key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) {
  auto it = args.find(key);
  if (it == args.end()) return fallback;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  if (it->second.empty() || ec != std::errc() || end != it->second.data() + it->second.size() ||
      n < min || n > max)
    return make_error(QueryErrc::bad_request, "'" + key + "' must be an integer in [" +
                                                  std::to_string(min) + ", " + std::to_string(max) +
                                                  "], got \"" + it->second.substr(0, 32) + "\"");
  return n;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_query_string(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = percent_decoded(pair.substr(0, eq));
    if (!key) return key.error();
    auto value = percent_decoded(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!value) return value.error();
    if (!out.emplace(*key, *value).second)
      return make_error(QueryErrc::bad_request, "parameter '" + *key + "' is given twice");
  }
  return out;
}

QueryService::QueryService(Templates templates, ServiceOptions options)
    : templates_(std::move(templates)), options_(std::move(options)) {}

Result<std::unique_ptr<QueryService>> QueryService::start(Templates templates,
                                                          ServiceOptions options) {
  std::unique_ptr<QueryService> service(new QueryService(std::move(templates), options));
  // The client waits a little longer than the server's own timeout, which answers first.
  options.database.timeout = options.timeout + std::chrono::seconds(2);
  for (int i = 0; i < std::max(1, options.connections); ++i) {
    auto client = std::make_unique<postgres::PostgresClient>(options.database);
    for (const std::string& setup :
         {std::string("SET default_transaction_read_only = on"),
          "SET statement_timeout = " + std::to_string(options.timeout.count())}) {
      if (auto r = client->add_session_setup(setup); !r)
        return make_error(QueryErrc::unavailable, r.error().message);
    }
    for (const Template& t : service->templates_.all()) {
      auto r = client->prepare("query_" + t.name, t.positional);
      if (!r && r.error().code == make_error_code(postgres::PostgresErrc::statement))
        return make_error(QueryErrc::bad_template,
                          "template '" + t.name + "' does not prepare: " + r.error().message);
      if (!r) return make_error(QueryErrc::unavailable, r.error().message);
    }
    service->free_.push_back(std::move(client));
  }
  return service;
}

Response QueryService::handle(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query_string =
      target.find('?') == std::string_view::npos ? "" : target.substr(target.find('?') + 1);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (!path.starts_with(kPrefix) || (path.size() > kPrefix.size() && path[kPrefix.size()] != '/'))
    return error_response(make_error(QueryErrc::not_found, "no such API: " + std::string(path)));
  if (method != "GET")
    return json_response(405,
                         json{{"error", "only GET is served here, not " + std::string(method)}});
  if (path.size() == kPrefix.size()) return list();
  auto name = percent_decoded(path.substr(kPrefix.size() + 1));
  if (!name) return error_response(name.error());
  const Template* t = templates_.find(*name);
  if (t == nullptr)
    return error_response(
        make_error(QueryErrc::not_found, "no query template named '" + name->substr(0, 64) + "'"));
  return run(*t, query_string);
}

Response QueryService::list() const {
  json queries = json::array();
  for (const Template& t : templates_.all()) {
    json params = json::array();
    for (const Param& p : t.params) {
      json param{{"name", p.name},
                 {"type", std::string(to_string(p.type))},
                 {"required", !p.default_value.has_value()},
                 {"description", p.description}};
      if (p.default_value) param["default"] = *p.default_value;
      params.push_back(std::move(param));
    }
    queries.push_back({{"name", t.name}, {"description", t.description}, {"params", params}});
  }
  return json_response(200, json{{"queries", queries}, {"page_max_rows", options_.page_max_rows}});
}

Response QueryService::run(const Template& t, std::string_view query_string) {
  auto args = parse_query_string(query_string);
  if (!args) return error_response(args.error());
  for (const auto& [key, value] : *args) {
    if (key == "limit" || key == "offset") continue;
    if (std::none_of(t.params.begin(), t.params.end(),
                     [&](const Param& p) { return p.name == key; })) {
      std::string known;
      for (const Param& p : t.params) known += (known.empty() ? "" : ", ") + p.name;
      return error_response(make_error(
          QueryErrc::bad_request, "unknown parameter '" + key.substr(0, 64) + "' for '" + t.name +
                                      "' (it takes " + (known.empty() ? "none" : known) +
                                      "; and limit, offset)"));
    }
  }
  postgres::Statement statement{"query_" + t.name, {}};
  for (const Param& p : t.params) {
    auto it = args->find(p.name);
    if (it == args->end()) {
      if (!p.default_value)
        return error_response(make_error(
            QueryErrc::bad_request,
            "parameter '" + p.name + "' (" + std::string(to_string(p.type)) + ") is required"));
      statement.params.push_back(*p.default_value);
      continue;
    }
    if (auto ok = check_value(p, it->second); !ok) return error_response(ok.error());
    statement.params.push_back(it->second);
  }
  auto limit =
      page_bound(*args, "limit", std::min(options_.page_default_rows, options_.page_max_rows), 1,
                 options_.page_max_rows);
  if (!limit) return error_response(limit.error());
  auto offset = page_bound(*args, "offset", 0, 0, 1'000'000'000);
  if (!offset) return error_response(offset.error());
  // One row more than the page, to know whether another follows.
  statement.params.push_back(std::to_string(*limit + 1));
  statement.params.push_back(std::to_string(*offset));

  std::unique_ptr<postgres::PostgresClient> client;
  {
    std::unique_lock lock(mu_);
    free_cv_.wait(lock, [&] { return !free_.empty(); });
    client = std::move(free_.back());
    free_.pop_back();
  }
  auto results = client->each(std::span<const postgres::Statement>(&statement, 1));
  {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(client));
  }
  free_cv_.notify_one();
  // The database's own messages (its address, its role) go to the log, not to the caller.
  if (!results) {
    spdlog::warn("query {}: {}", t.name, results.error().message);
    return error_response(
        make_error(QueryErrc::unavailable, "the result database cannot be reached; try again"));
  }
  Result<postgres::QueryResult>& result = results.value().front();
  if (!result) {
    const std::string& message = result.error().message;
    if (message.find("SQLSTATE 57014") != std::string::npos)
      return error_response(
          make_error(QueryErrc::timeout, "'" + t.name + "' ran past query.timeout.ms (" +
                                             std::to_string(options_.timeout.count()) +
                                             " ms) and was cancelled"));
    spdlog::warn("query {}: {}", t.name, message);
    auto primary = message.find(": ", message.find(t.name));
    return error_response(
        make_error(QueryErrc::internal,
                   "'" + t.name + "' failed in the database: " +
                       (primary == std::string::npos ? message : message.substr(primary + 2))));
  }
  json rows = json::array();
  const auto& all = result.value().rows;
  std::size_t shown = std::min<std::size_t>(all.size(), static_cast<std::size_t>(*limit));
  for (std::size_t r = 0; r < shown; ++r) {
    json row = json::array();
    for (const auto& value : all[r]) row.push_back(value ? json(*value) : json(nullptr));
    rows.push_back(std::move(row));
  }
  return json_response(
      200, json{{"query", t.name},
                {"columns", result.value().columns},
                {"rows", rows},
                {"limit", *limit},
                {"offset", *offset},
                {"next_offset", all.size() > shown ? json(*offset + *limit) : json(nullptr)}});
}

}  // namespace gale::query
