#include "api.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <string_view>
#include <vector>

#include "exporter.h"
#include "gale/anomalies/webhook.h"
#include "gale/metrics/prometheus.h"
#include "gale/nimbus/limits.h"
#include "gale/state/backend.h"
#include "store_errors.h"

namespace gale::nimbus {

using nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "/api/v1/";

HttpResponse json_response(int status, const json& body) {
  // A request's path may hold any bytes, and errors quote it: what is not UTF-8 becomes U+FFFD.
  return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace)};
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

// "?limit=25" of a target -> 25; `fallback` when absent; bad_request when not 1..max.
Result<std::size_t> limit_of(std::string_view target, std::size_t fallback, std::size_t max) {
  auto query = target.find('?');
  if (query == std::string_view::npos) return fallback;
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (!pair.starts_with("limit=")) continue;
    std::string_view digits = pair.substr(6);
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size() || value < 1 || value > max)
      return make_error(NimbusErrc::bad_request,
                        "'limit' must be an integer from 1 to " + std::to_string(max));
    return value;
  }
  return fallback;
}

// UTC with milliseconds, as ISO 8601: "2026-12-04T10:15:02.123Z".
std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&secs, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03d}Z", text, static_cast<int>(ms.count()));
}

std::string_view outcome_of(int status) {
  if (status / 100 == 2) return "ok";
  if (status == 401 || status == 403 || status == 429) return "refused";
  return "failed";
}

// GET /topologies/<name>/workers/<supervisor>/<port>/log?length=&start= or ?search=&limit=
// (docs/CONSOLE.md); the supervisor's log server holds the same bounds (log_files.h).
Result<WorkerLogRequest> worker_log_request(std::string_view target) {
  WorkerLogRequest r;
  auto length = query_int(target, "length", 65536, 1, 1 << 20);
  if (!length) return length.error();
  r.length = static_cast<std::uint64_t>(*length);
  if (query_value(target, "start")) {
    auto start = query_int(target, "start", 0, 0, std::int64_t{1} << 62);
    if (!start) return start.error();
    r.start = static_cast<std::uint64_t>(*start);
  }
  if (auto search = query_value(target, "search")) {
    if (search->empty() || search->size() > 256)
      return make_error(NimbusErrc::bad_request, "'search' must hold 1 to 256 bytes");
    r.search = std::move(*search);
  }
  auto limit = query_int(target, "limit", 100, 1, 1000);
  if (!limit) return limit.error();
  r.limit = static_cast<std::uint64_t>(*limit);
  return r;
}

// GET /topologies/<name>/metrics?from=&to=&resolution=&component=&names=a,b (docs/METRICS.md).
Result<metric_history::HistoryQuery> history_query(std::string_view target,
                                                   const std::string& topology, std::int64_t now) {
  metric_history::HistoryQuery q;
  q.topology = topology;
  auto to = query_int(target, "to", now, 0, std::numeric_limits<std::int32_t>::max() * 4LL);
  if (!to) return to.error();
  auto from = query_int(target, "from", *to - 600, 0, *to);
  if (!from) return from.error();
  auto resolution = query_int(target, "resolution", 0, 0, 3600);
  if (!resolution) return resolution.error();
  q.from_secs = *from;
  q.to_secs = *to;
  q.resolution_secs = *resolution;
  q.component = query_value(target, "component").value_or("");
  if (auto names = query_value(target, "names")) {
    std::string_view rest = *names;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      if (auto name = rest.substr(0, comma); !name.empty()) q.names.emplace_back(name);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    if (q.names.size() > 100)
      return make_error(NimbusErrc::bad_request, "'names' lists at most 100 figures");
  }
  return q;
}

// What a settings change sets, for the audit log: "key=value, key2 reset", a secret's value left
// out, at most 500 characters.
std::string settings_change_summary(const json& body) {
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (auto set = body.find("set"); set != body.end() && set->is_object())
    for (const auto& [key, value] : set->items())
      add(key + "=" +
          (names_a_secret(key) ? "******"
           : value.is_string() ? value.get<std::string>()
                               : value.dump()));
  if (auto reset = body.find("reset"); reset != body.end() && reset->is_array())
    for (const auto& key : *reset)
      if (key.is_string()) add(key.get<std::string>() + " reset");
  if (out.size() > 500) out = out.substr(0, 500) + "...";
  return out;
}

constexpr std::size_t kMaxAuditEntries = 10000;
// How much of an unauthenticated caller's path an audit entry keeps.
constexpr std::size_t kMaxAuditedPath = 200;

}  // namespace

HttpResponse Api::handle(const HttpRequest& request) {
  if (console_ && request.method == "GET")
    if (auto page = console_->serve(request.target)) return std::move(*page);
  // The one call that needs no token: whether this Nimbus is up (and leads), for load
  // balancers and service managers.
  if (request.method == "GET" &&
      path_parts(request.target) == std::vector<std::string>{"api", "v1", "health"})
    return json_response(200, json{{"status", "ok"}, {"leader", leader_.is_leader()}});
  // Nothing else is parsed before the caller is known: an anonymous request learns nothing
  // about the routes or the bodies they take.
  auto who = authenticate(request);
  if (!who) return refuse_unknown(request, who.error());
  auto call = resolve(request);
  if (!call) return error_response(call.error());
  if (call->changes_state || call->audit_read) {
    if (auto audited = audit_ready(request, *who); !audited) return error_response(audited.error());
  }
  auto response = authorized(*call, *who);
  // A store error passed up as it came (no context added) still answers 503 in an outage.
  if (!response && response.error().code.category() == coordination::store_category())
    response = store_failure(response.error());
  int status = response ? response->status : http_status(response.error().code);
  std::string detail = response ? std::string() : response.error().message;
  if (!response && status >= 500)
    spdlog::error("{} {}: {}", request.method, request.target, detail);
  if (call->changes_state || status == 401 || status == 403) {
    audit(request, *call, *who, status, detail);
  } else if (call->audit_read && (status != 200 || !recently_audited(*call, *who))) {
    // A served read is remembered only once its line is written, so the next one waits for
    // no missing line; a refused or failed one is audited each time and remembered never.
    if (audit(request, *call, *who, status, detail) && status == 200) remember_read(*call, *who);
  }
  return response ? std::move(*response) : error_response(response.error());
}

namespace {

std::string read_key(const Api::Call& call, const Principal& who) {
  return who.name + '\n' + call.topology + '\n' + call.target;
}

}  // namespace

bool Api::recently_audited(const Call& call, const Principal& who) {
  std::lock_guard lock(reads_mutex_);
  auto it = audited_reads_.find(read_key(call, who));
  return it != audited_reads_.end() && now_() - it->second < kReadAuditIntervalSecs;
}

void Api::remember_read(const Call& call, const Principal& who) {
  const std::int64_t now = now_();
  std::lock_guard lock(reads_mutex_);
  if (audited_reads_.size() >= kMaxRememberedReads)
    std::erase_if(audited_reads_,
                  [&](const auto& entry) { return now - entry.second >= kReadAuditIntervalSecs; });
  if (audited_reads_.size() >= kMaxRememberedReads) audited_reads_.clear();
  audited_reads_[read_key(call, who)] = now;
}

Status Api::audit_ready(const HttpRequest& request, const Principal& who) {
  if (!guards_.audit.failing()) return {};
  // The last line could not be written: no change goes ahead unheard. A line saying the log
  // works again is the test; once it is on disk, changes go ahead again.
  json entry{{"time", utc_now()},
             {"principal", who.name},
             {"role", to_string(who.role)},
             {"source", request.peer_address},
             {"action", "audit.resumed"},
             {"topology", nullptr},
             {"outcome", "ok"},
             {"status", 200}};
  if (auto written = guards_.audit.append(entry); !written) {
    spdlog::error("{}: refusing state changes until it can be written", written.error().message);
    return make_error(NimbusErrc::unavailable, "the audit log cannot be written (" +
                                                   written.error().message +
                                                   "); no change is accepted until it can");
  }
  return {};
}

std::optional<HttpResponse> Api::check_header(const HttpRequest& request) {
  const std::string source_key = "address:" + request.peer_address;
  if (!guards_.limiter.has_room(source_key))
    return refuse_unknown(request, make_error(NimbusErrc::too_many_requests,
                                              "too many failed authentications from " +
                                                  request.peer_address + "; try again later"));
  auto who = guards_.access.authenticate(request.authorization);
  if (who || who.code() != make_error_code(NimbusErrc::unauthenticated)) return std::nullopt;
  guards_.limiter.take(source_key);
  return refuse_unknown(request, who.error());
}

HttpResponse Api::refuse_unknown(const HttpRequest& request, const Error& error) {
  // A 401 or 503 is audited (at most nimbus.requests.per.sec a second per address: each one
  // takes from the address's bucket); a 429 is not, or a flood would fill the log.
  if (error.code != make_error_code(NimbusErrc::too_many_requests)) {
    std::string path = request.target.substr(0, request.target.find('?'));
    if (path.size() > kMaxAuditedPath) path = path.substr(0, kMaxAuditedPath) + "...";
    Call unknown{request.method + " " + path, {}, {}, std::nullopt, false, {}};
    audit(request, unknown, std::nullopt, http_status(error.code), error.message);
  }
  return error_response(error);
}

Result<Principal> Api::authenticate(const HttpRequest& request) {
  const std::string source_key = "address:" + request.peer_address;
  if (!guards_.limiter.has_room(source_key))
    return make_error(
        NimbusErrc::too_many_requests,
        "too many failed authentications from " + request.peer_address + "; try again later");
  auto who = guards_.access.authenticate(request.authorization);
  if (!who) {
    // Any failed authentication (a 401, or a 503 while the tokens cannot be read) takes from
    // the address's bucket: each is audited, so none may come faster than the limit.
    guards_.limiter.take(source_key);
    return who.error();
  }
  if (guards_.access.enabled() && !guards_.limiter.take("principal:" + who->name))
    return make_error(NimbusErrc::too_many_requests,
                      "principal '" + who->name + "' is over nimbus.requests.per.sec");
  return who;
}

Result<HttpResponse> Api::authorized(const Call& call, const Principal& who) {
  if (!leader_.is_leader())
    return make_error(NimbusErrc::not_leader, "this Nimbus is not the leader");
  if (call.permission) {
    if (auto allowed = AccessControl::authorize(who, *call.permission); !allowed)
      return allowed.error();
    if (who.role == Role::deployer && controls_a_topology(*call.permission)) {
      auto record = service_.find(call.topology);
      if (!record) return record.error();
      if (auto allowed = AccessControl::authorize(who, *call.permission, &*record); !allowed)
        return allowed.error();
    }
  }
  return call.run(who);
}

bool Api::audit(const HttpRequest& request, const Call& call, const std::optional<Principal>& who,
                int status, const std::string& detail) {
  json entry{{"time", utc_now()},
             {"principal", who ? json(who->name) : json(nullptr)},
             {"role", who ? json(to_string(who->role)) : json(nullptr)},
             {"source", request.peer_address},
             {"action", call.action},
             {"topology", call.topology.empty() ? json(nullptr) : json(call.topology)},
             {"outcome", outcome_of(status)},
             {"status", status}};
  if (!call.target.empty()) entry["target"] = call.target;
  if (!detail.empty()) entry["detail"] = detail;
  if (auto written = guards_.audit.append(entry); !written) {
    spdlog::error("{} (entry: {})", written.error().message,
                  entry.dump(-1, ' ', false, json::error_handler_t::replace));
    return false;
  }
  return true;
}

Result<Api::Call> Api::resolve(const HttpRequest& request) {
  // Prometheus's conventional path, beside the API (docs/METRICS.md).
  if (request.method == "GET" && path_parts(request.target) == std::vector<std::string>{"metrics"})
    return Call{"metrics",
                {},
                {},
                Permission::metrics_read,
                false,
                [this](const Principal&) -> Result<HttpResponse> {
                  auto topologies = service_.observe();
                  if (!topologies) return topologies.error();
                  auto cluster = service_.cluster(leader_.leader());
                  if (!cluster) return cluster.error();
                  return HttpResponse{200, std::string(metrics::kExpositionContentType),
                                      prometheus_text(*topologies, *cluster, std::time(nullptr))};
                }};
  if (!request.target.starts_with(kPrefix)) return not_found(request);
  auto parts = path_parts(std::string_view(request.target).substr(kPrefix.size()));
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  auto read = [](std::string action, std::optional<Permission> permission,
                 std::function<Result<HttpResponse>(const Principal&)> run,
                 std::string topology = {}) {
    return Call{std::move(action), std::move(topology), {}, permission, false, std::move(run)};
  };
  if (parts.empty()) return not_found(request);
  const std::string& root = parts[0];
  if (root == "whoami" && parts.size() == 1 && get)
    return read("whoami", std::nullopt, [](const Principal& who) {
      return ok(json{{"principal", who.name}, {"role", to_string(who.role)}});
    });
  if (root == "anomalies" && parts.size() == 1 && get) {
    auto limit = limit_of(request.target, 100, 10000);
    if (!limit) return limit.error();
    std::string state = query_value(request.target, "state").value_or("open");
    if (state != "open" && state != "all")
      return make_error(NimbusErrc::bad_request,
                        "'state' must be open or all, got '" + state + "'");
    return read("anomalies", Permission::topology_read,
                [this, open = state == "open", n = *limit,
                 topology = query_value(request.target, "topology").value_or("")](
                    const Principal&) -> Result<HttpResponse> {
                  if (!anomalies_)
                    return make_error(NimbusErrc::unavailable,
                                      "the anomaly log could not be opened on this Nimbus (see "
                                      "its log)");
                  auto list = anomalies_->list(open, topology, n);
                  if (!list) return make_error(NimbusErrc::internal, list.error().message);
                  json out = json::array();
                  for (const auto& a : *list) out.push_back(anomalies::to_json(a));
                  return ok(out);
                });
  }
  if (root == "cluster" && parts.size() == 1 && get)
    return read("cluster", Permission::cluster_read,
                [this](const Principal&) { return ok(service_.cluster(leader_.leader())); });
  if (root == "artifacts" && parts.size() == 2 && get)
    return read("artifact", Permission::artifact_read,
                [this, sha = parts[1]](const Principal&) -> Result<HttpResponse> {
                  auto bytes = artifacts_.read(sha);
                  if (!bytes) return bytes.error();
                  return HttpResponse{200, "application/octet-stream", std::move(*bytes)};
                });
  if (root == "audit" && parts.size() == 1 && get) {
    auto limit = limit_of(request.target, 100, kMaxAuditEntries);
    if (!limit) return limit.error();
    return read("audit.read", Permission::audit_read,
                [this, n = *limit](const Principal&) { return ok(guards_.audit.recent(n)); });
  }
  if (root == "tokens") return token_call(request, parts);
  if (root != "topologies") return not_found(request);
  if (parts.size() == 1 && get)
    return read("list", Permission::topology_read,
                [this](const Principal&) { return ok(service_.list()); });
  if (parts.size() == 1 && post) {
    auto body = parse_object(request.body);
    if (!body) return body.error();
    std::string name = body->contains("name") && (*body)["name"].is_string()
                           ? (*body)["name"].get<std::string>()
                           : std::string();
    // A savepoint started from is named in the audit: whose state the new topology reads.
    std::string savepoint;
    if (auto c = body->find("config"); c != body->end() && c->is_object())
      if (auto s = c->find(conf::kTopologyStateSavepoint); s != c->end() && s->is_string())
        savepoint = s->get<std::string>();
    return Call{"submit",
                name,
                savepoint.empty() ? std::string() : "savepoint:" + savepoint,
                Permission::topology_submit,
                true,
                [this, body = std::move(*body)](const Principal& who) {
                  return ok(service_.submit(body, who), 201);
                }};
  }
  const std::string& name = parts.size() > 1 ? parts[1] : root;
  if (parts.size() == 2 && get)
    return read(
        "status", Permission::topology_read,
        [this, name](const Principal&) { return ok(service_.status(name)); }, name);
  if (parts.size() == 3 && parts[2] == "checkpoints" && get) {
    auto limit = limit_of(request.target, 100, state::StateBackend::kHistoryLength);
    if (!limit) return limit.error();
    return read(
        "checkpoints", Permission::topology_read,
        [this, name, n = *limit](const Principal&) { return ok(service_.checkpoints(name, n)); },
        name);
  }
  if (parts.size() == 3 && parts[2] == "metrics" && get) {
    auto query = history_query(request.target, name, now_());
    if (!query) return query.error();
    return read(
        "metrics.history", Permission::metrics_read,
        [this, q = std::move(*query)](const Principal&) -> Result<HttpResponse> {
          return ok(history(q));
        },
        name);
  }
  if (parts.size() == 6 && parts[2] == "workers" && parts[5] == "log" && get) {
    if (auto valid = coordination::validate_name("supervisor id", parts[3]); !valid)
      return make_error(NimbusErrc::bad_request, valid.error().message);
    int port = 0;
    auto [end, ec] = std::from_chars(parts[4].data(), parts[4].data() + parts[4].size(), port);
    if (ec != std::errc{} || end != parts[4].data() + parts[4].size() || port < 1 || port > 65535)
      return make_error(NimbusErrc::bad_request,
                        "the port must be from 1 to 65535, got '" + parts[4] + "'");
    auto log = worker_log_request(request.target);
    if (!log) return log.error();
    // Who searched for what is kept (an account number, say; at most 256 bytes); the audit
    // log is the admins'.
    std::string what =
        parts[3] + ":" + parts[4] + (log->search ? " search " + *log->search : " page");
    return Call{"worker.log",
                name,
                std::move(what),
                Permission::topology_logs,
                false,
                [this, name, supervisor = parts[3], port, log = std::move(*log)](const Principal&) {
                  return ok(service_.worker_log(name, supervisor, port, log));
                },
                true};
  }
  if (parts.size() == 3 && parts[2] == "settings" && get)
    return read(
        "settings", Permission::topology_read,
        [this, name](const Principal&) { return ok(service_.settings(name)); }, name);
  if (parts.size() == 3 && parts[2] == "settings" && post) {
    auto body = parse_object(request.body);
    if (!body) return body.error();
    return Call{"settings.change",
                name,
                settings_change_summary(*body),
                Permission::topology_settings,
                true,
                [this, name, body = std::move(*body)](const Principal&) {
                  return ok(service_.change_settings(name, body));
                }};
  }
  if (parts.size() == 3 && parts[2] == "blobs" && get)
    return read(
        "blob.list", Permission::topology_read,
        [this, name](const Principal&) { return ok(service_.blobs(name)); }, name);
  if (parts.size() == 3 && post) return topology_call(name, parts[2], request.body);
  if (parts.size() == 4 && parts[2] == "blobs" && request.method == "PUT")
    return Call{"blob.put",
                name,
                parts[3],
                Permission::topology_blob_write,
                true,
                [this, name, key = parts[3], bytes = request.body](const Principal&) {
                  return ok(service_.put_blob(name, key, bytes));
                }};
  return not_found(request);
}

Result<json> Api::history(const metric_history::HistoryQuery& q) const {
  if (!history_)
    return make_error(NimbusErrc::unavailable,
                      "the metric history could not be opened on this Nimbus (see its log)");
  auto record = service_.find(q.topology);
  if (!record && !history_->knows(q.topology)) return record.error();  // unknown, no history
  auto answer = history_->query(q, now_());
  if (!answer) return make_error(NimbusErrc::bad_request, answer.error().message);
  json series = json::array();
  for (const auto& s : answer->series) {
    json labels = json::object();
    for (const auto& [k, v] : s.labels) labels[k] = v;
    json points = json::array();
    for (const auto& [t, v] : s.points) points.push_back({t, v});
    series.push_back(
        {{"component", s.component}, {"name", s.name}, {"labels", labels}, {"points", points}});
  }
  return json{{"topology", q.topology},
              {"from", q.from_secs},
              {"to", q.to_secs},
              {"resolution_secs", answer->resolution_secs},
              {"series", series}};
}

Result<Api::Call> Api::topology_call(const std::string& name, const std::string& action,
                                     const std::string& text) {
  auto body = parse_object(text);
  if (!body) return body.error();
  if (action == "activate" || action == "deactivate") {
    bool active = action == "activate";
    return Call{action,
                name,
                {},
                active ? Permission::topology_activate : Permission::topology_deactivate,
                true,
                [this, name, active](const Principal&) {
                  return ok(service_.set_active(name, active)); }};
  }
  if (action == "schedule") {
    // Scheduling a start and cancelling one both decide when the spouts run: activate's right.
    return Call{"schedule",
                name,
                {},
                Permission::topology_activate,
                true,
                [this, name, body = std::move(*body)](const Principal&) {
                  return ok(service_.schedule(name, body));
                }};
  }
  if (action == "kill") {
    auto wait = optional_int(*body, "wait_secs", 0, kMaxWaitSecs);
    if (!wait) return wait.error();
    return Call{"kill",
                name,
                {},
                Permission::topology_kill,
                true,
                [this, name, wait = *wait](const Principal&) {
                  return ok(service_.kill(name, wait)); }};
  }
  if (action == "rebalance") {
    auto request = rebalance_request(*body);
    if (!request) return request.error();
    return Call{"rebalance",
                name,
                {},
                Permission::topology_rebalance,
                true,
                [this, name, request = *request](const Principal&) {
                  return ok(service_.rebalance(name, request));
                }};
  }
  if (action == "savepoint") {
    if (!body->contains("name") || !(*body)["name"].is_string())
      return make_error(NimbusErrc::bad_request, "the body must be {\"name\": savepoint name}");
    auto savepoint = (*body)["name"].get<std::string>();
    if (auto valid = coordination::validate_name("savepoint name", savepoint); !valid)
      return make_error(NimbusErrc::bad_request, valid.error().message);
    return Call{"savepoint",
                name,
                savepoint,
                Permission::topology_savepoint,
                true,
                [this, name, savepoint](const Principal& who) {
                  return ok(service_.savepoint(name, savepoint, who.name), 201);
                }};
  }
  return make_error(NimbusErrc::not_found, "no such action: " + action);
}

Result<Api::Call> Api::token_call(const HttpRequest& request,
                                  const std::vector<std::string>& parts) {
  if (parts.size() == 1 && request.method == "GET")
    return Call{
        "token.list",
        {},
        {},
        Permission::token_admin,
        false,
        [this](const Principal&) -> Result<HttpResponse> {
          auto tokens = state_.tokens();
          if (!tokens) return store_failure(tokens.error());
          json out = json::array();
          for (const auto& t : *tokens)
            out.push_back(
                {{"principal", t.principal}, {"role", t.role}, {"created_secs", t.created_secs}});
          return ok(out);
        }};
  if (parts.size() == 1 && request.method == "POST") {
    auto body = parse_object(request.body);
    if (!body) return body.error();
    if (!body->contains("principal") || !(*body)["principal"].is_string() ||
        !body->contains("role") || !(*body)["role"].is_string())
      return make_error(NimbusErrc::bad_request,
                        "the body must be {\"principal\": name, \"role\": role}");
    auto principal = (*body)["principal"].get<std::string>();
    if (auto valid = coordination::validate_name("principal", principal); !valid)
      return make_error(NimbusErrc::bad_request, valid.error().message);
    auto role = parse_role((*body)["role"].get<std::string>());
    if (!role) return role.error();
    return Call{
        "token.create",
        {},
        principal,
        Permission::token_admin,
        true,
        [this, principal, role = *role](const Principal&) -> Result<HttpResponse> {
          auto issued = issue_token(state_, principal, role, now_());
          if (!issued) return issued.error();
          return ok(
              json{{"principal", principal}, {"role", to_string(role)}, {"token", issued->token}},
              201);
        }};
  }
  if (parts.size() == 2 && request.method == "DELETE") {
    if (auto valid = coordination::validate_name("principal", parts[1]); !valid)
      return make_error(NimbusErrc::bad_request, valid.error().message);
    return Call{"token.revoke",
                {},
                parts[1],
                Permission::token_admin,
                true,
                [this, principal = parts[1]](const Principal&) -> Result<HttpResponse> {
                  auto existing = state_.token(principal);
                  if (!existing) return store_failure(existing.error());
                  if (!*existing)
                    return make_error(NimbusErrc::not_found,
                                      "principal '" + principal + "' has no token");
                  if (auto removed = state_.remove_token(principal); !removed)
                    return store_failure(removed.error());
                  return ok(json{{"principal", principal}, {"revoked", true}});
                }};
  }
  return not_found(request);
}

}  // namespace gale::nimbus
