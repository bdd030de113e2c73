#include "api.h"

#include <spdlog/spdlog.h>

#include <string_view>
#include <vector>

#include "gale/nimbus/limits.h"

namespace gale::nimbus {

using nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "/api/v1/";

HttpResponse json_response(int status, const json& body) {
  return {status, "application/json", body.dump()};
}

HttpResponse error_response(const Error& error) {
  return json_response(http_status(error.code), json{{"error", error.message}});
}

Result<HttpResponse> ok(Result<json> result, int status = 200) {
  if (!result) return result.error();
  return json_response(status, *result);
}

Error not_found(const HttpRequest& request) {
  return make_error(NimbusErrc::not_found, "no such API: " + request.method + " " + request.target);
}

// "/api/v1/topologies/x/kill" -> {"topologies", "x", "kill"}; the query, if any, is ignored.
std::vector<std::string> path_parts(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> parts;
  while (!target.empty()) {
    auto slash = target.find('/');
    auto part = target.substr(0, slash);
    if (!part.empty()) parts.emplace_back(part);
    target = slash == std::string_view::npos ? std::string_view{} : target.substr(slash + 1);
  }
  return parts;
}

// An empty body is an empty object; anything else must be a JSON object.
Result<json> parse_object(const std::string& body) {
  if (body.empty()) return json::object();
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    return make_error(NimbusErrc::bad_request, "the request body is not a JSON object");
  return parsed;
}

// `value` as an integer from lo to hi; bad_request naming `what` and the range otherwise (a
// huge number is refused, never wrapped).
Result<std::int64_t> int_in_range(const json& value, const std::string& what, std::int64_t lo,
                                  std::int64_t hi) {
  bool fits = value.is_number_unsigned()
                  ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi) &&
                        static_cast<std::int64_t>(value.get<std::uint64_t>()) >= lo
                  : value.is_number_integer() && value.get<std::int64_t>() >= lo &&
                        value.get<std::int64_t>() <= hi;
  if (!fits)
    return make_error(NimbusErrc::bad_request, what + " must be an integer from " +
                                                   std::to_string(lo) + " to " +
                                                   std::to_string(hi) + ", got " + value.dump());
  return value.get<std::int64_t>();
}

// An optional integer field of a request body, from lo to hi.
Result<std::optional<std::int64_t>> optional_int(const json& body, const char* key, std::int64_t lo,
                                                 std::int64_t hi) {
  if (!body.contains(key) || body[key].is_null()) return std::optional<std::int64_t>{};
  auto value = int_in_range(body[key], std::string("'") + key + "'", lo, hi);
  if (!value) return value.error();
  return std::optional<std::int64_t>(*value);
}

Result<RebalanceRequest> rebalance_request(const json& body) {
  RebalanceRequest request;
  auto wait = optional_int(body, "wait_secs", 0, kMaxWaitSecs);
  auto workers = optional_int(body, "workers", 1, kMaxWorkers);
  if (!wait) return wait.error();
  if (!workers) return workers.error();
  request.wait_secs = *wait;
  if (*workers) request.workers = static_cast<int>(**workers);
  const json executors = body.value("executors", json::object());
  if (!executors.is_object())
    return make_error(NimbusErrc::bad_request, "'executors' must be an object of component: n");
  for (const auto& [component, n] : executors.items()) {
    auto count = int_in_range(n, "executors of '" + component + "'", 1, kMaxExecutors);
    if (!count) return count.error();
    request.executors[component] = static_cast<int>(*count);
  }
  return request;
}

}  // namespace

HttpResponse Api::handle(const HttpRequest& request) {
  if (!leader_.is_leader())
    return error_response(make_error(NimbusErrc::not_leader, "this Nimbus is not the leader"));
  auto response = route(request);
  if (!response) {
    if (http_status(response.error().code) >= 500)
      spdlog::error("{} {}: {}", request.method, request.target, response.error().message);
    return error_response(response.error());
  }
  return *response;
}

Result<HttpResponse> Api::route(const HttpRequest& request) {
  if (!request.target.starts_with(kPrefix)) return not_found(request);
  auto parts = path_parts(std::string_view(request.target).substr(kPrefix.size()));
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (parts.size() == 1 && parts[0] == "cluster" && get)
    return ok(service_.cluster(leader_.leader()));
  if (parts.size() == 2 && parts[0] == "artifacts" && get) {
    auto bytes = artifacts_.read(parts[1]);
    if (!bytes) return bytes.error();
    return HttpResponse{200, "application/octet-stream", std::move(*bytes)};
  }
  if (parts.empty() || parts[0] != "topologies") return not_found(request);
  if (parts.size() == 1 && get) return ok(service_.list());
  if (parts.size() == 1 && post) {
    auto body = parse_object(request.body);
    if (!body) return body.error();
    return ok(service_.submit(*body), 201);
  }
  if (parts.size() == 2 && get) return ok(service_.status(parts[1]));
  if (parts.size() == 3 && post) return topology_action(parts[1], parts[2], request.body);
  if (parts.size() == 3 && parts[2] == "blobs" && get) return ok(service_.blobs(parts[1]));
  if (parts.size() == 4 && parts[2] == "blobs" && request.method == "PUT")
    return ok(service_.put_blob(parts[1], parts[3], request.body));
  return not_found(request);
}

Result<HttpResponse> Api::topology_action(const std::string& name, const std::string& action,
                                          const std::string& text) {
  auto body = parse_object(text);
  if (!body) return body.error();
  if (action == "activate" || action == "deactivate")
    return ok(service_.set_active(name, action == "activate"));
  if (action == "kill") {
    auto wait = optional_int(*body, "wait_secs", 0, kMaxWaitSecs);
    if (!wait) return wait.error();
    return ok(service_.kill(name, *wait));
  }
  if (action == "rebalance") {
    auto request = rebalance_request(*body);
    if (!request) return request.error();
    return ok(service_.rebalance(name, *request));
  }
  return make_error(NimbusErrc::not_found, "no such action: " + action);
}

}  // namespace gale::nimbus
