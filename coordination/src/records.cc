#include "gale/coordination/records.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace gale::coordination {
namespace {

using nlohmann::json;

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::optional<TopologyStatus> parse_status(std::string_view text) {
  if (text == "active") return TopologyStatus::active;
  if (text == "inactive") return TopologyStatus::inactive;
  if (text == "killed") return TopologyStatus::killed;
  return std::nullopt;
}

Error malformed(std::string_view what, std::string_view why) {
  return make_error(StoreErrc::other,
                    "malformed " + std::string(what) + " record: " + std::string(why));
}

// Parses `text` and builds a T from it with `build`, which may throw nlohmann's exceptions for
// missing or mistyped fields, or return an Error for a semantic problem.
template <class T, class Build>
Result<T> decode_with(std::string_view what, std::string_view text, Build build) {
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return malformed(what, "not valid JSON");
  try {
    return build(parsed);
  } catch (const json::exception& e) {
    return malformed(what, e.what());
  }
}

// The decoding error when a name read from a record could not be a path component.
std::optional<Error> bad_name(std::string_view what, std::string_view kind, std::string_view name) {
  if (auto valid = validate_name(kind, name); !valid) return malformed(what, valid.error().message);
  return std::nullopt;
}

std::optional<int> parse_task_id(const std::string& text) {
  int id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return id;
}

}  // namespace

Status validate_name(std::string_view kind, std::string_view name) {
  const auto reject = [&](std::string_view why) {
    return make_error(StoreErrc::invalid_path, "invalid " + std::string(kind) + " '" +
                                                   std::string(name) + "': " + std::string(why));
  };
  if (name.empty() || name.size() > 128) return reject("must be 1-128 characters");
  if (!std::all_of(name.begin(), name.end(), is_name_char)) {
    return reject("only A-Z, a-z, 0-9, '.', '_' and '-' are allowed");
  }
  if (name == "." || name == "..") return reject("'.' and '..' are reserved");
  return {};
}

std::string_view to_string(TopologyStatus status) {
  switch (status) {
    case TopologyStatus::active:
      return "active";
    case TopologyStatus::inactive:
      return "inactive";
    case TopologyStatus::killed:
      return "killed";
  }
  return "inactive";
}

namespace {

json savepoints_json(const std::vector<SavepointTaken>& taken) {
  json out = json::array();
  for (const auto& s : taken)
    out.push_back({{"name", s.name},
                   {"checkpoint", s.checkpoint},
                   {"created_ms", s.created_ms},
                   {"taken_by", s.taken_by},
                   {"bytes", s.bytes}});
  return out;
}

}  // namespace

std::string encode(const TopologyRecord& r) {
  return json{{"id", r.id},
              {"name", r.name},
              {"status", to_string(r.status)},
              {"config", r.config},
              {"artifact_sha256", r.artifact_sha256},
              {"num_workers", r.num_workers},
              {"owner", r.owner},
              {"start_at_secs", r.start_at_secs},
              {"graph", r.graph},
              {"changeable", r.changeable},
              {"settings", r.settings},
              {"settings_version", r.settings_version},
              {"savepoints", savepoints_json(r.savepoints)}}
      .dump();
}

std::string encode(const TokenRecord& t) {
  return json{{"principal", t.principal},
              {"role", t.role},
              {"sha256", t.sha256},
              {"created_secs", t.created_secs}}
      .dump();
}

Result<TokenRecord> decode_token(std::string_view text) {
  return decode_with<TokenRecord>("token", text, [](const json& j) -> Result<TokenRecord> {
    TokenRecord t;
    t.principal = j.at("principal").get<std::string>();
    if (auto bad = bad_name("token", "principal", t.principal)) return *bad;
    t.role = j.at("role").get<std::string>();
    t.sha256 = j.at("sha256").get<std::string>();
    t.created_secs = j.at("created_secs").get<std::int64_t>();
    return t;
  });
}

std::string encode(const TopologyCredentials& c) {
  return json{{"curve_public", c.curve_public},
              {"curve_secret", c.curve_secret},
              {"zookeeper_auth", c.zookeeper_auth}}
      .dump();
}

Result<TopologyCredentials> decode_credentials(std::string_view text) {
  return decode_with<TopologyCredentials>(
      "credentials", text, [](const json& j) -> Result<TopologyCredentials> {
        TopologyCredentials c;
        c.curve_public = j.at("curve_public").get<std::string>();
        c.curve_secret = j.at("curve_secret").get<std::string>();
        if (c.curve_public.size() != 40 || c.curve_secret.size() != 40)
          return make_error(StoreErrc::other, "credentials: a CURVE key is not 40 characters");
        c.zookeeper_auth = j.value("zookeeper_auth", "");
        if (!c.zookeeper_auth.empty() && c.zookeeper_auth.find(':') == std::string::npos)
          return make_error(StoreErrc::other,
                            "credentials: the ZooKeeper identity is not \"user:password\"");
        return c;
      });
}

Result<TopologyRecord> decode_topology(std::string_view text) {
  return decode_with<TopologyRecord>("topology", text, [](const json& j) -> Result<TopologyRecord> {
    TopologyRecord r;
    r.id = j.at("id").get<std::string>();
    if (auto bad = bad_name("topology", "topology id", r.id)) return *bad;
    r.name = j.at("name").get<std::string>();
    const auto status = parse_status(j.at("status").get<std::string>());
    if (!status) return malformed("topology", "unknown status " + j.at("status").dump());
    r.status = *status;
    r.config = j.at("config").get<std::map<std::string, std::string>>();
    r.artifact_sha256 = j.at("artifact_sha256").get<std::string>();
    r.num_workers = j.at("num_workers").get<int>();
    r.owner = j.value("owner", "");  // records written before owners were kept have none
    r.start_at_secs = j.value("start_at_secs", std::int64_t{0});
    if (auto graph = j.find("graph"); graph != j.end() && graph->is_object()) r.graph = *graph;
    // Records written before runtime settings were kept have none.
    r.changeable = j.value("changeable", std::vector<std::string>{});
    r.settings = j.value("settings", std::map<std::string, std::string>{});
    r.settings_version = j.value("settings_version", std::uint64_t{0});
    const json taken = j.value("savepoints", json::array());  // none in older records
    for (const auto& s : taken)
      r.savepoints.push_back(
          {s.at("name").get<std::string>(), s.at("checkpoint").get<std::uint64_t>(),
           s.at("created_ms").get<std::int64_t>(), s.at("taken_by").get<std::string>(),
           s.at("bytes").get<std::uint64_t>()});
    return r;
  });
}

std::string encode(const Assignment& a) {
  json slots = json::object();
  for (const auto& [task, slot] : a.task_slots) {
    slots[std::to_string(task)] = {
        {"supervisor_id", slot.supervisor_id}, {"host", slot.host}, {"port", slot.port}};
  }
  json executors = json::array();
  for (const auto& e : a.executors) {
    json range = {e.first_task, e.last_task};
    if (e.chained_to) range.push_back(e.chained_to);
    executors.push_back(std::move(range));
  }
  return json{{"topology_id", a.topology_id},
              {"task_slots", slots},
              {"executors", executors},
              {"start_time_secs", a.start_time_secs},
              {"epoch", a.epoch}}
      .dump();
}

Result<Assignment> decode_assignment(std::string_view text) {
  return decode_with<Assignment>("assignment", text, [](const json& j) -> Result<Assignment> {
    Assignment a;
    a.topology_id = j.at("topology_id").get<std::string>();
    if (auto bad = bad_name("assignment", "topology id", a.topology_id)) return *bad;
    for (const auto& [task, slot] : j.at("task_slots").items()) {
      const auto id = parse_task_id(task);
      if (!id) return malformed("assignment", "task id '" + task + "' is not a number");
      a.task_slots[*id] = Slot{slot.at("supervisor_id").get<std::string>(),
                               slot.at("host").get<std::string>(), slot.at("port").get<int>()};
    }
    for (const auto& e : j.at("executors")) {
      a.executors.push_back(
          Executor{e.at(0).get<int>(), e.at(1).get<int>(), e.size() > 2 ? e.at(2).get<int>() : 0});
    }
    a.start_time_secs = j.at("start_time_secs").get<std::int64_t>();
    a.epoch = j.at("epoch").get<std::uint64_t>();
    return a;
  });
}

std::string encode(const SupervisorInfo& s) {
  json j{{"id", s.id}, {"host", s.host}, {"ports", s.ports}, {"uptime_secs", s.uptime_secs}};
  if (s.log_port != 0) {
    j["log_port"] = s.log_port;
    j["log_secret"] = s.log_secret;
  }
  return j.dump();
}

Result<SupervisorInfo> decode_supervisor(std::string_view text) {
  return decode_with<SupervisorInfo>("supervisor", text,
                                     [](const json& j) -> Result<SupervisorInfo> {
                                       SupervisorInfo s;
                                       s.id = j.at("id").get<std::string>();
                                       if (auto bad = bad_name("supervisor", "supervisor id", s.id))
                                         return *bad;
                                       s.host = j.at("host").get<std::string>();
                                       s.ports = j.at("ports").get<std::vector<int>>();
                                       s.uptime_secs = j.at("uptime_secs").get<std::int64_t>();
                                       s.log_port = j.value("log_port", 0);
                                       s.log_secret = j.value("log_secret", "");
                                       return s;
                                     });
}

std::string encode(const WorkerHeartbeat& h) {
  return json{{"topology_id", h.topology_id},
              {"host", h.host},
              {"port", h.port},
              {"time_secs", h.time_secs},
              {"uptime_secs", h.uptime_secs},
              {"stats", h.stats},
              {"epoch", h.epoch},
              {"instance", h.instance},
              {"recover_epoch", h.recover_epoch}}
      // A topology's label values and error texts are its own bytes: invalid UTF-8 is
      // replaced, never a reason for the worker to fail its heartbeat.
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<WorkerHeartbeat> decode_heartbeat(std::string_view text) {
  return decode_with<WorkerHeartbeat>(
      "worker heartbeat", text, [](const json& j) -> Result<WorkerHeartbeat> {
        WorkerHeartbeat h;
        h.topology_id = j.at("topology_id").get<std::string>();
        h.host = j.at("host").get<std::string>();
        h.port = j.at("port").get<int>();
        h.time_secs = j.at("time_secs").get<std::int64_t>();
        h.uptime_secs = j.at("uptime_secs").get<std::int64_t>();
        h.stats = j.at("stats");
        h.epoch = j.value("epoch", std::uint64_t{0});
        h.instance = j.value("instance", std::string());
        h.recover_epoch = j.value("recover_epoch", std::uint64_t{0});
        return h;
      });
}

std::string encode(const std::vector<ErrorInfo>& errors) {
  json list = json::array();
  for (const auto& e : errors) {
    list.push_back(
        {{"message", e.message}, {"time_secs", e.time_secs}, {"host", e.host}, {"port", e.port}});
  }
  return list.dump();
}

Result<std::vector<ErrorInfo>> decode_errors(std::string_view text) {
  return decode_with<std::vector<ErrorInfo>>(
      "errors", text, [](const json& j) -> Result<std::vector<ErrorInfo>> {
        if (!j.is_array()) return malformed("errors", "not a JSON array");
        std::vector<ErrorInfo> errors;
        for (const auto& e : j) {
          errors.push_back(ErrorInfo{e.at("message").get<std::string>(),
                                     e.at("time_secs").get<std::int64_t>(),
                                     e.at("host").get<std::string>(), e.at("port").get<int>()});
        }
        return errors;
      });
}

}  // namespace gale::coordination
