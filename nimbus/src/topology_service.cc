#include "topology_service.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <set>

#include "gale/common/base64.h"
#include "gale/common/logging.h"
#include "gale/common/rfc3339.h"
#include "gale/config.h"
#include "gale/nimbus/access.h"
#include "gale/nimbus/client.h"
#include "gale/nimbus/tokens.h"
#include "gale/state/savepoint.h"
#include "gale/transport/zmq_transport.h"
#include "scheduler.h"
#include "statistics.h"
#include "store_errors.h"

namespace gale::nimbus {

using coordination::Assignment;
using coordination::SupervisorInfo;
using coordination::TopologyRecord;
using coordination::TopologyStatus;
using nlohmann::json;

namespace {

// A deferred step (a kill's removal, a rebalance's re-plan) that could not reach ZooKeeper is
// tried again after this long, until it can.
constexpr int kRetryDeferredSecs = 5;

Error bad_request(std::string message) {
  return make_error(NimbusErrc::bad_request, std::move(message));
}

// Config values arrive as JSON strings ("3") or, leniently, as numbers and booleans.
Result<std::map<std::string, std::string>> config_strings(const json& config) {
  std::map<std::string, std::string> out;
  if (config.is_null()) return out;
  if (!config.is_object()) return bad_request("'config' must be an object of key: value");
  for (const auto& [key, value] : config.items()) {
    if (value.is_string())
      out[key] = value.get<std::string>();
    else if (value.is_number() || value.is_boolean())
      out[key] = value.dump();
    else
      return bad_request("config key '" + key + "': expected a string value");
  }
  return out;
}

Status check_setting(const std::string& key, const std::string& value);  // below

// Every key checked by gale::Config's setter: the first bad key's message, naming it (and the
// log level by the names a worker knows).
Result<Config> checked_config(const std::map<std::string, std::string>& entries) {
  Config conf;
  for (const auto& [key, value] : entries) {
    if (auto result = conf.set(key, value); !result) return bad_request(result.message);
  }
  if (auto level = entries.find(conf::kTopologyLogLevel); level != entries.end())
    if (auto known = check_setting(level->first, level->second); !known) return known.error();
  return conf;
}

Result<Config> record_config(const TopologyRecord& record) {
  return checked_config(record.config);
}

// A state backend's error as the API answers it.
Error from_state(const Error& e) {
  using state::StateErrc;
  const auto code = e.code;
  NimbusErrc errc = code == make_error_code(StateErrc::exists)        ? NimbusErrc::conflict
                    : code == make_error_code(StateErrc::not_found)   ? NimbusErrc::not_found
                    : code == make_error_code(StateErrc::unavailable) ? NimbusErrc::unavailable
                    : code == make_error_code(StateErrc::incompatible) ||
                            code == make_error_code(StateErrc::bad_config)
                        ? NimbusErrc::bad_request
                        : NimbusErrc::internal;
  return make_error(errc, e.message);
}

// The topology's state backend as its workers reach it (the cluster's: never the in-memory one,
// which would be Nimbus's own).
// Nimbus waits on it in an API thread: at most 5 s a call, whatever redis.timeout.ms says.
Result<std::shared_ptr<state::StateBackend>> cluster_backend(Config conf) {
  if (conf.get_string(conf::kTopologyStateBackend) == "memory")
    return bad_request(std::string(conf::kTopologyStateBackend) +
                       " is 'memory': a savepoint needs the cluster's backend (redis)");
  if (!conf.contains("redis.host"))
    return bad_request("the topology keeps no state in Redis (no redis.host)");
  constexpr std::int64_t kMaxWaitMs = 5000;
  (void)conf.set("redis.timeout.ms", std::min(conf.get_int("redis.timeout.ms", 1000), kMaxWaitMs));
  auto backend = state::make_backend(conf, true);
  if (!backend.ok()) return from_state(backend.error());
  return std::move(*backend);
}

// topology.state.savepoint at submit: the savepoint exists, `who` may read it, and its tasks
// are the same components' tasks in this topology.
Status check_savepoint(const Config& conf, const TopologyLayout& layout, const Principal& who) {
  const std::string name = conf.get_string(conf::kTopologyStateSavepoint);
  if (name.empty()) return {};
  if (auto valid = coordination::validate_name("savepoint name", name); !valid)
    return bad_request(std::string(conf::kTopologyStateSavepoint) + ": " + valid.error().message);
  bool stateful = false;
  for (const auto& c : layout.components) stateful |= c.kind == "checkpoint";
  if (!stateful)
    return bad_request("topology '" + layout.name + "' has no state to start from savepoint '" +
                       name + "'");
  auto backend = cluster_backend(conf);
  if (!backend) return backend.error();
  auto savepoint = state::find_savepoint(**backend, name);
  if (!savepoint.ok()) return from_state(savepoint.error());
  // A savepoint holds its topology's state: only that topology's owner (or an admin) reads
  // it, not a principal merely granted control of it (topology.users) who took it.
  if (who.role != Role::admin && who.name != savepoint->owner)
    return make_error(NimbusErrc::forbidden,
                      "'" + who.name + "' may not start from savepoint '" + name +
                          "': only the owner of the topology it was taken from, or an admin");
  std::map<int, std::string> tasks;
  for (const auto& c : layout.components)
    for (int task : c.tasks) tasks[task] = c.id;
  if (auto fits = state::check_savepoint_tasks(*savepoint, tasks); !fits.ok())
    return bad_request(fits.error().message);
  return {};
}

// A blob key becomes a ZooKeeper node and a file name; its size is bounded by one node.
Status check_blob(const std::string& key, const std::string& bytes) {
  if (auto valid = coordination::validate_name("blob key", key); !valid)
    return bad_request(valid.error().message);
  if (bytes.size() > coordination::ClusterState::kMaxBlobBytes)
    return bad_request("blob '" + key + "' has " + std::to_string(bytes.size()) +
                       " bytes; at most " +
                       std::to_string(coordination::ClusterState::kMaxBlobBytes) + " are kept");
  return {};
}

// The optional "blobs" of a submission: {key: base64}.
Result<std::map<std::string, std::string>> submitted_blobs(const json& blobs) {
  if (!blobs.is_object()) return bad_request("'blobs' must be an object of key: base64");
  std::map<std::string, std::string> out;
  for (const auto& [key, text] : blobs.items()) {
    auto bytes = text.is_string() ? gale::base64_decode(text.get<std::string>()) : std::nullopt;
    if (!bytes) return bad_request("blob '" + key + "' is not a base64 string");
    if (auto valid = check_blob(key, *bytes); !valid) return valid.error();
    out[key] = std::move(*bytes);
  }
  return out;
}

// The inspector names the file it was given, here a staging file the user never saw: the
// message names "the submitted .so" instead.
Error without_path(Error error, const std::filesystem::path& staged) {
  for (const std::string& name : {"'" + staged.string() + "'", staged.string()}) {
    for (auto at = error.message.find(name); at != std::string::npos; at = error.message.find(name))
      error.message.replace(at, name.size(), "the submitted .so");
  }
  return error;
}

// <name>-<counter>-<unix time>, as Storm; the counter makes ids unique within a second.
std::string make_topology_id(const std::string& name, std::int64_t now) {
  static std::atomic<std::int64_t> counter{0};
  return name + "-" + std::to_string(counter.fetch_add(1) + 1) + "-" + std::to_string(now);
}

// The Unix time in a topology id, its submission time (0 if the id has none).
std::int64_t submitted_at(const std::string& id) {
  auto dash = id.rfind('-');
  if (dash == std::string::npos) return 0;
  try {
    return std::stoll(id.substr(dash + 1));
  } catch (const std::exception&) {
    return 0;
  }
}

std::string slot_key(const std::string& host, int port) {
  return host + "-" + std::to_string(port);
}

// The body's "start_at" (RFC 3339 with an offset; absent or null: none) as Unix seconds, 0 for
// none. A time in the past is refused: nothing would wait for it.
Result<std::int64_t> start_time(const json& body, std::int64_t now) {
  auto it = body.find("start_at");
  if (it == body.end() || it->is_null()) return std::int64_t{0};
  if (!it->is_string()) return bad_request("'start_at' must be a time in RFC 3339 or null");
  auto secs = parse_rfc3339(it->get<std::string>());
  if (!secs) return bad_request("'start_at': " + secs.error().message);
  if (*secs <= now)
    return bad_request("'start_at' " + it->get<std::string>() + " is not in the future (now is " +
                       format_rfc3339(now) + ")");
  return *secs;
}

json summary(const TopologyRecord& record, const std::optional<Assignment>& assignment,
             std::int64_t now) {
  std::size_t workers = assignment ? slots_of(*assignment).size() : 0;
  return json{
      {"id", record.id},
      {"name", record.name},
      {"status", coordination::to_string(record.status)},
      {"start_at", record.start_at_secs ? json(format_rfc3339(record.start_at_secs)) : json()},
      {"workers", workers},
      {"executors", assignment ? assignment->executors.size() : 0},
      {"tasks", assignment ? assignment->task_slots.size() : 0},
      {"uptime_secs", std::max<std::int64_t>(0, now - submitted_at(record.id))}};
}

// A store error, or the absence of a record, as the API answers it.
template <class T>
Error store_error(const Result<T>& result) {
  return store_failure(result.error());
}

}  // namespace

Result<TopologyRecord> TopologyService::find(const std::string& name) {
  auto ids = ctx_.state.topology_ids();
  if (!ids) return store_error(ids);
  for (const auto& id : *ids) {
    auto record = ctx_.state.topology(id);
    if (!record) return store_error(record);
    if (record->has_value() && (*record)->name == name) return **record;
  }
  return make_error(NimbusErrc::not_found, "no topology named '" + name + "'");
}

Result<TopologyRecord> TopologyService::find_changeable(const std::string& name) {
  auto found = find(name);
  if (found && found.value().status == TopologyStatus::killed)
    return bad_request("topology '" + name + "' is being killed");
  return found;
}

Result<std::vector<Assignment>> TopologyService::all_assignments() {
  auto ids = ctx_.state.assignment_ids();
  if (!ids) return store_error(ids);
  std::vector<Assignment> all;
  for (const auto& id : *ids) {
    auto assignment = ctx_.state.assignment(id);
    if (!assignment) return store_error(assignment);
    if (assignment->has_value()) all.push_back(**assignment);
  }
  return all;
}

// ---- submit ----------------------------------------------------------------------------------

Result<json> TopologyService::submit(const json& body, const Principal& who) {
  const std::string& owner = who.name;
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string())
    return bad_request("the body must be {\"name\", \"config\", \"artifact\"}");
  std::string name = body["name"].get<std::string>();
  if (auto valid = coordination::validate_name("topology name", name); !valid)
    return bad_request(valid.error().message);
  auto entries = config_strings(body.value("config", json()));
  if (!entries) return entries.error();
  auto conf = checked_config(*entries);
  if (!conf) return conf.error();
  if (auto users = parse_topology_users(conf->get_string(conf::kTopologyUsers)); !users)
    return users.error();
  if (!body.contains("artifact") || !body["artifact"].is_string())
    return bad_request("'artifact' (the base64 of the topology's .so) is missing");
  auto bytes = gale::base64_decode(body["artifact"].get<std::string>());
  if (!bytes || bytes->empty()) return bad_request("'artifact' is not valid base64");
  auto blobs = submitted_blobs(body.value("blobs", json::object()));
  if (!blobs) return blobs.error();
  auto start_at = start_time(body, ctx_.now());
  if (!start_at) return start_at.error();

  // Tasks are fixed at submit, as in Storm: pin the ackers' count, which would otherwise follow
  // topology.workers and change on rebalance.
  if (!entries->count(conf::kTopologyAckerExecutors))
    entries.value()[conf::kTopologyAckerExecutors] =
        std::to_string(conf->get_int(conf::kTopologyWorkers));

  auto staged = ctx_.artifacts.stage(*bytes);
  if (!staged) return staged.error();
  auto layout = ctx_.inspector({(*staged)->path(), *entries, {}});
  if (!layout) return without_path(layout.error(), (*staged)->path());
  if (auto fits = check_savepoint(*conf, *layout, who); !fits) return fits.error();
  int workers = static_cast<int>(conf->get_int(conf::kTopologyWorkers));

  std::lock_guard lock(mutex_);
  if (auto taken = find(name); taken)
    return make_error(NimbusErrc::conflict, "a topology named '" + name + "' is already running");
  else if (taken.code() != make_error_code(NimbusErrc::not_found))
    return taken.error();
  auto supervisors = ctx_.state.supervisors();
  if (!supervisors) return store_error(supervisors);
  auto assignments = all_assignments();
  if (!assignments) return assignments.error();
  auto slots = choose_slots(*supervisors, used_slots(*assignments), workers);
  if (!slots) return slots.error();
  if (auto committed = (*staged)->commit(); !committed) return committed.error();

  std::int64_t now = ctx_.now();
  TopologyRecord record{make_topology_id(name, now),
                        name,
                        *start_at ? TopologyStatus::inactive : TopologyStatus::active,
                        *entries,
                        (*staged)->sha256(),
                        workers,
                        owner,
                        *start_at,
                        layout->graph(),
                        layout->changeable};
  auto executors = layout->executors();
  Assignment assignment{record.id, plan(executors, *slots), executors, now};
  if (auto written = ctx_.state.set_topology(record); !written) return store_error(written);
  Status written;  // blobs and keys first, so that workers find them when they start
  for (const auto& [key, data] : *blobs)
    if (written) written = ctx_.state.set_blob(record.id, key, data);
  std::string worker_identity;  // the workers' own ZooKeeper identity (docs/SECURITY.md)
  if (written && ctx_.secure_transport) {
    auto secret = random_secret();
    if (!secret) return secret.error();
    worker_identity = "topology-" + record.id + ":" + *secret;
    auto keys = transport::make_curve_keys();
    written =
        ctx_.state.set_credentials(record.id, {keys.public_key, keys.secret_key, worker_identity});
  }
  if (written) written = ctx_.state.set_assignment(assignment);
  if (written && !worker_identity.empty())
    written = ctx_.state.admit_workers(record.id, worker_identity);
  if (!written) {
    (void)ctx_.state.remove_heartbeats(record.id);
    (void)ctx_.state.remove_assignment(record.id);
    (void)ctx_.state.remove_credentials(record.id);
    (void)ctx_.state.remove_blobs(record.id);
    (void)ctx_.state.remove_topology(record.id);
    return store_error(written);
  }
  spdlog::info("{} submitted topology {} as {} on {} workers{}", owner, name, record.id, workers,
               *start_at ? ", to start at " + format_rfc3339(*start_at) : "");
  return json{{"id", record.id}, {"name", name}, {"owner", owner}};
}

// ---- blobs -----------------------------------------------------------------------------------

Result<json> TopologyService::savepoint(const std::string& name, const std::string& savepoint,
                                        const std::string& taken_by) {
  auto record = find(name);
  if (!record) return record.error();
  auto conf = record_config(*record);
  if (!conf) return conf.error();
  auto backend = cluster_backend(*conf);
  if (!backend) return backend.error();
  std::lock_guard lock(savepoint_mutex_);  // two takes of one name: the second sees the first
  state::SavepointInfo info;
  info.name = savepoint;
  info.topology_id = record->id;
  info.topology_name = record->name;
  info.owner = record->owner;
  info.taken_by = taken_by;
  auto taken = state::take_savepoint(**backend, std::move(info));
  if (!taken.ok()) return from_state(taken.error());
  spdlog::info("{} took savepoint {} of {} (checkpoint {}, {} bytes)", taken_by, savepoint,
               record->id, taken->checkpoint, taken->bytes);
  list_savepoint(record->id,
                 {savepoint, taken->checkpoint, taken->created_ms, taken_by, taken->bytes});
  return json{{"savepoint", savepoint},       {"topology", record->name},
              {"topology_id", record->id},    {"checkpoint", taken->checkpoint},
              {"tasks", taken->tasks.size()}, {"bytes", taken->bytes}};
}

void TopologyService::list_savepoint(const std::string& id, coordination::SavepointTaken taken) {
  std::lock_guard lock(mutex_);  // a read-modify-write of the record
  auto record = ctx_.state.topology(id);
  if (!record || !*record) return;  // killed meanwhile: the savepoint stays, unlisted
  TopologyRecord r = **record;
  r.savepoints.push_back(std::move(taken));
  if (r.savepoints.size() > TopologyRecord::kListedSavepoints)
    r.savepoints.erase(r.savepoints.begin(),
                       r.savepoints.end() - TopologyRecord::kListedSavepoints);
  if (auto written = ctx_.state.set_topology(r); !written)
    spdlog::warn("savepoint {} of {} is taken but could not be listed in its record: {}",
                 r.savepoints.back().name, id, written.error().message);
}

Result<json> TopologyService::checkpoints(const std::string& name, std::size_t limit) {
  auto record = find(name);
  if (!record) return record.error();
  auto conf = record_config(*record);
  if (!conf) return conf.error();
  json out = json::array();
  // A stateful topology cannot run without redis.host (gale-worker inspect): without it there
  // is no history to read.
  if (!conf->contains("redis.host")) return out;
  auto backend = cluster_backend(*conf);
  if (!backend) return backend.error();
  auto history = (*backend)->history(record->id, limit);
  if (!history.ok()) return from_state(history.error());
  for (const auto& c : *history) {
    json parts = json::array();
    for (const auto& p : c.parts) parts.push_back({{"task", p.task}, {"bytes", p.bytes}});
    out.push_back({{"id", c.id},
                   {"triggered_ms", c.triggered_ms},
                   {"duration_ms", c.duration_ms},
                   {"bytes", c.bytes},
                   {"parts", parts}});
  }
  return out;
}

Result<json> TopologyService::put_blob(const std::string& name, const std::string& key,
                                       const std::string& bytes) {
  if (auto valid = check_blob(key, bytes); !valid) return valid.error();
  std::lock_guard lock(mutex_);
  auto found = find_changeable(name);
  if (!found) return found.error();
  if (auto written = ctx_.state.set_blob(found->id, key, bytes); !written)
    return store_error(written);
  auto stored = ctx_.state.blob(found->id, key);
  if (!stored) return store_error(stored);
  std::int32_t version = stored->has_value() ? (*stored)->version : 0;
  spdlog::info("blob {} of {} replaced: {} bytes, version {}", key, found->id, bytes.size(),
               version);
  return json{{"topology", found->id}, {"key", key}, {"version", version}, {"bytes", bytes.size()}};
}

Result<json> TopologyService::blobs(const std::string& name) {
  auto found = find(name);
  if (!found) return found.error();
  auto keys = ctx_.state.blob_keys(found->id);
  if (!keys) return store_error(keys);
  json out = json::array();
  for (const auto& key : *keys) {
    auto blob = ctx_.state.blob(found->id, key);
    if (!blob) return store_error(blob);
    if (blob->has_value())
      out.push_back({{"key", key}, {"version", (*blob)->version}, {"bytes", (*blob)->data.size()}});
  }
  return out;
}

// ---- reading ---------------------------------------------------------------------------------

Result<json> TopologyService::list() {
  auto ids = ctx_.state.topology_ids();
  if (!ids) return store_error(ids);
  json out = json::array();
  for (const auto& id : *ids) {
    auto record = ctx_.state.topology(id);
    if (!record) return store_error(record);
    if (!record->has_value()) continue;
    auto assignment = ctx_.state.assignment(id);
    if (!assignment) return store_error(assignment);
    out.push_back(summary(**record, *assignment, ctx_.now()));
  }
  return out;
}

namespace {

// Words that mark a config key's value as a secret (as Flink's web UI judges them): the status
// shows such a value as "******", to every role; the workers still get it.
constexpr std::string_view kSecretWords[] = {"password",    "passwd",  "secret",  "token",
                                             "apikey",      "api-key", "api.key", "credential",
                                             "private.key", "auth",    "jaas"};

json shown_config(const std::map<std::string, std::string>& config) {
  json out = json::object();
  for (const auto& [key, value] : config) out[key] = names_a_secret(key) ? "******" : value;
  return out;
}

}  // namespace

bool names_a_secret(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  bool secret = false;
  for (auto word : kSecretWords) secret = secret || lower.find(word) != std::string::npos;
  return secret;
}

Result<ObservedTopology> TopologyService::observe(const coordination::TopologyRecord& record) {
  auto assignment = ctx_.state.assignment(record.id);
  if (!assignment) return store_error(assignment);
  auto beats = ctx_.state.heartbeats(record.id);
  if (!beats) return store_error(beats);
  ObservedTopology out{record, *assignment, {}};
  // Only the workers of the current assignment count: a heartbeat left by a worker whose slot
  // was taken away (rebalanced to fewer workers, moved) is history.
  std::set<std::string> assigned;
  if (out.assignment)
    for (const auto& slot : slots_of(*out.assignment))
      assigned.insert(slot_key(slot.host, slot.port));
  for (auto& beat : *beats)
    if (assigned.contains(slot_key(beat.host, beat.port))) out.beats.push_back(std::move(beat));
  return out;
}

Result<std::vector<ObservedTopology>> TopologyService::observe() {
  auto ids = ctx_.state.topology_ids();
  if (!ids) return store_error(ids);
  std::vector<ObservedTopology> out;
  for (const auto& id : *ids) {
    auto record = ctx_.state.topology(id);
    if (!record) return store_error(record);
    if (!record->has_value()) continue;
    auto seen = observe(**record);
    if (!seen) return seen.error();
    out.push_back(std::move(*seen));
  }
  return out;
}

Result<json> TopologyService::status(const std::string& name) {
  auto record = find(name);
  if (!record) return record.error();
  auto seen = observe(*record);
  if (!seen) return seen.error();
  const std::vector<coordination::WorkerHeartbeat>& current = seen->beats;

  std::int64_t now = ctx_.now();
  json out = summary(*record, seen->assignment, now);
  out["config"] = shown_config(record->config);
  out["artifact_sha256"] = record->artifact_sha256;
  out["owner"] = record->owner;
  out["num_workers"] = record->num_workers;
  out["graph"] = record->graph;
  out["settings_version"] = record->settings_version;
  json savepoints = json::array();
  for (const auto& sp : record->savepoints)
    savepoints.push_back({{"name", sp.name},
                          {"checkpoint", sp.checkpoint},
                          {"created_ms", sp.created_ms},
                          {"taken_by", sp.taken_by},
                          {"bytes", sp.bytes}});
  out["savepoints"] = std::move(savepoints);
  auto slots = seen->assignment ? slots_of(*seen->assignment) : std::vector<Slot>{};
  out["components"] = aggregate_components(current);
  std::map<std::string, const coordination::WorkerHeartbeat*> beat_of;
  for (const auto& beat : current) beat_of[slot_key(beat.host, beat.port)] = &beat;
  json workers = json::array();
  for (const auto& slot : slots) {
    json worker{{"supervisor", slot.supervisor_id},
                {"host", slot.host},
                {"port", slot.port},
                {"uptime_secs", nullptr},
                {"last_beat_secs_ago", nullptr},
                {"refused_peers", 0},
                {"rejected_batches", 0},
                {"settings_version", nullptr}};
    if (auto it = beat_of.find(slot_key(slot.host, slot.port)); it != beat_of.end()) {
      const coordination::WorkerHeartbeat& beat = *it->second;
      worker["uptime_secs"] = beat.uptime_secs;
      worker["last_beat_secs_ago"] = std::max<std::int64_t>(0, now - beat.time_secs);
      // What the worker refused: handshakes without the topology's key, undecodable or
      // misrouted messages. Non-zero means something is knocking (docs/SECURITY.md).
      for (const char* key : {"refused_peers", "rejected_batches", "settings_version"})
        if (auto v = beat.stats.find(key); v != beat.stats.end() && v->is_number_unsigned())
          worker[key] = *v;
    }
    workers.push_back(std::move(worker));
  }
  out["workers"] = std::move(workers);
  // Topologies with state: the checkpoints the coordinator's worker reports (the latest
  // completed ones, oldest first, and how many were abandoned), null without checkpoints.
  out["checkpoints"] = nullptr;
  for (const auto& beat : current)
    if (auto c = beat.stats.find("checkpoints"); c != beat.stats.end() && c->is_object())
      out["checkpoints"] = *c;
  return out;
}

Result<json> TopologyService::cluster(const std::optional<std::string>& leader) {
  auto supervisors = ctx_.state.supervisors();
  if (!supervisors) return store_error(supervisors);
  auto assignments = all_assignments();
  if (!assignments) return assignments.error();
  auto used = used_slots(*assignments);
  json out{{"leader", leader ? json(*leader) : json(nullptr)}, {"supervisors", json::array()}};
  for (const auto& supervisor : *supervisors) {
    json used_ports = json::array();
    for (int port : supervisor.ports)
      if (used.contains(Slot{supervisor.id, supervisor.host, port})) used_ports.push_back(port);
    out["supervisors"].push_back(json{{"id", supervisor.id},
                                      {"host", supervisor.host},
                                      {"slots", supervisor.ports},
                                      {"used", used_ports},
                                      {"uptime_secs", supervisor.uptime_secs},
                                      {"serves_logs", supervisor.log_port != 0}});
  }
  return out;
}

namespace {

constexpr std::chrono::seconds kLogServerTimeout{10};
// A page is at most 1 MiB, a search 1,000 lines of 2 KiB; JSON escaping may grow them.
constexpr std::uint64_t kMaxLogReplyBytes = std::uint64_t{16} << 20;
// Log reads wait on another host: at most this many hold the API's handler threads at once.
constexpr int kMaxLogReadsAtOnce = 2;

// A place among the log reads under way, held for as long as it lives; `admitted` false when
// they were all taken (a refused read takes none).
class LogReadSlot {
 public:
  explicit LogReadSlot(std::atomic<int>& reads) : reads_(reads) {
    int now = reads_.load();
    while (now < kMaxLogReadsAtOnce && !reads_.compare_exchange_weak(now, now + 1)) {
    }
    admitted_ = now < kMaxLogReadsAtOnce;
  }
  ~LogReadSlot() {
    if (admitted_) reads_.fetch_sub(1);
  }
  LogReadSlot(const LogReadSlot&) = delete;
  LogReadSlot& operator=(const LogReadSlot&) = delete;
  bool admitted() const { return admitted_; }

 private:
  std::atomic<int>& reads_;
  bool admitted_ = false;
};

}  // namespace

Result<json> TopologyService::worker_log(const std::string& name, const std::string& supervisor_id,
                                         int port, const WorkerLogRequest& request) {
  auto record = find(name);
  if (!record) return record.error();
  auto assignment = ctx_.state.assignment(record->id);
  if (!assignment) return store_error(assignment);
  const auto slots = *assignment ? slots_of(**assignment) : std::vector<Slot>{};
  if (std::find_if(slots.begin(), slots.end(), [&](const Slot& s) {
        return s.supervisor_id == supervisor_id && s.port == port;
      }) == slots.end())
    return make_error(NimbusErrc::not_found, "topology '" + name + "' has no worker on " +
                                                 supervisor_id + ":" + std::to_string(port));
  auto supervisors = ctx_.state.supervisors();
  if (!supervisors) return store_error(supervisors);
  auto supervisor = std::find_if(supervisors->begin(), supervisors->end(),
                                 [&](const auto& s) { return s.id == supervisor_id; });
  if (supervisor == supervisors->end())
    return make_error(NimbusErrc::unavailable,
                      "supervisor '" + supervisor_id + "' is not registered now");
  if (supervisor->log_port == 0)
    return make_error(NimbusErrc::unavailable, "supervisor '" + supervisor_id +
                                                   "' serves no logs (set "
                                                   "supervisor.logviewer.port there)");
  NimbusEndpoint endpoint{supervisor->host,       supervisor->log_port,
                          supervisor->log_secret, ctx_.tls_ca_file,
                          kLogServerTimeout,      "supervisor '" + supervisor_id + "''s log server",
                          kMaxLogReplyBytes};
  if (ctx_.secure_transport && ctx_.tls_ca_file.empty())
    return make_error(NimbusErrc::unavailable,
                      "security.tls.ca.file is not set on this Nimbus: it cannot check the "
                      "certificate of supervisor '" +
                          supervisor_id + "''s log server");
  std::string target = "/logs/" + record->id + "/" + std::to_string(port) + "?";
  if (request.search) {
    target +=
        "search=" + percent_encoded(*request.search) + "&limit=" + std::to_string(request.limit);
  } else {
    target += "length=" + std::to_string(request.length);
    if (request.start) target += "&start=" + std::to_string(*request.start);
  }
  LogReadSlot slot(log_reads_);
  if (!slot.admitted())
    return make_error(NimbusErrc::too_many_requests,
                      "too many workers' logs are being read at once; try again in a moment");
  const std::string where = endpoint.peer;
  auto reply = NimbusClient(std::move(endpoint)).request("GET", target);
  if (!reply) return make_error(NimbusErrc::unavailable, reply.error().message);
  auto body = json::parse(reply->body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return make_error(NimbusErrc::unavailable,
                      where + " answered " + std::to_string(reply->status) + " without JSON");
  if (reply->status != 200) {
    auto error = body.find("error");
    std::string message =
        where + ": " +
        (error != body.end() && error->is_string() ? error->get<std::string>()
                                                   : "HTTP " + std::to_string(reply->status));
    return make_error(reply->status == 404 ? NimbusErrc::not_found : NimbusErrc::unavailable,
                      message);
  }
  body["topology"] = name;
  body["supervisor"] = supervisor_id;
  body["host"] = supervisor->host;
  body["port"] = port;
  return body;
}

// ---- status changes --------------------------------------------------------------------------

Result<json> TopologyService::set_active(const std::string& name, bool active) {
  std::lock_guard lock(mutex_);
  auto found = find_changeable(name);
  if (!found) return found.error();
  TopologyRecord record = found.value();
  record.status = active ? TopologyStatus::active : TopologyStatus::inactive;
  record.start_at_secs = 0;  // activated or deactivated by hand: no scheduled start any more
  if (auto written = ctx_.state.set_topology(record); !written) return store_error(written);
  return json{{"status", coordination::to_string(record.status)}};
}

Result<json> TopologyService::schedule(const std::string& name, const json& body) {
  std::lock_guard lock(mutex_);
  auto found = find_changeable(name);
  if (!found) return found.error();
  TopologyRecord record = found.value();
  if (!body.is_object() || !body.contains("start_at"))
    return bad_request("the body must be {\"start_at\": \"<RFC 3339>\" or null}");
  auto start_at = start_time(body, ctx_.now());
  if (!start_at) return start_at.error();
  if (rebalancing_.contains(record.id))
    return bad_request("topology '" + name +
                       "' is being rebalanced; schedule its start once the rebalance is over");
  if (*start_at && record.status == TopologyStatus::active)
    return bad_request("topology '" + name +
                       "' is active; deactivate it first to schedule its start");
  record.start_at_secs = *start_at;
  if (auto written = ctx_.state.set_topology(record); !written) return store_error(written);
  return json{{"status", coordination::to_string(record.status)},
              {"start_at", *start_at ? json(format_rfc3339(*start_at)) : json()}};
}

namespace {

// The settings every topology may change while it runs (docs/CONSOLE.md, "Runtime settings").
constexpr std::array kBuiltInSettings = {conf::kTopologyLogLevel, conf::kTopologyDebug,
                                         conf::kTopologyDebugSampleRate};
constexpr std::array kLogLevels = {"", "trace", "debug", "info", "warn", "error", "off"};
constexpr std::size_t kMaxSettingBytes = 1024;

bool changeable(const TopologyRecord& record, const std::string& key) {
  return std::find(kBuiltInSettings.begin(), kBuiltInSettings.end(), key) !=
             kBuiltInSettings.end() ||
         std::find(record.changeable.begin(), record.changeable.end(), key) !=
             record.changeable.end();
}

// Whether `value` may be `key`'s: a built-in one as its schema says, any of the topology's own
// up to 1 KiB of one line.
Status check_setting(const std::string& key, const std::string& value) {
  if (key == conf::kTopologyLogLevel) {
    if (std::find(kLogLevels.begin(), kLogLevels.end(), value) == kLogLevels.end())
      return bad_request(std::string(conf::kTopologyLogLevel) + ": '" + value +
                         "' is not trace, debug, info, warn, error, off or empty");
    return {};
  }
  if (key == conf::kTopologyDebug || key == conf::kTopologyDebugSampleRate) {
    Config scratch;
    if (auto set = scratch.set(key, std::string_view(value)); !set) return bad_request(set.message);
    return {};
  }
  if (value.size() > kMaxSettingBytes || value.find_first_of("\r\n") != std::string::npos)
    return bad_request("'" + key + "': a value is one line of at most " +
                       std::to_string(kMaxSettingBytes) + " bytes");
  return {};
}

json settings_of(const TopologyRecord& record) {
  json list = json::array();
  std::vector<std::string> keys(kBuiltInSettings.begin(), kBuiltInSettings.end());
  keys.insert(keys.end(), record.changeable.begin(), record.changeable.end());
  for (const auto& key : keys) {
    auto configured = record.config.find(key);
    json config = configured != record.config.end() ? json(configured->second) : json();
    if (config.is_null() && key != conf::kTopologyLogLevel)
      if (const ConfigKey* spec = Config::find_key(key); spec && !spec->default_value.is_null())
        config = spec->default_value.to_string();
    auto set = record.settings.find(key);
    json value = set != record.settings.end() ? json(set->second) : config;
    if (names_a_secret(key)) {
      if (!config.is_null()) config = "******";
      if (!value.is_null()) value = "******";
    }
    list.push_back({{"key", key},
                    {"value", value},
                    {"config", config},
                    {"changed", set != record.settings.end()},
                    {"built_in", key.starts_with("topology.")}});
  }
  return json{{"version", record.settings_version}, {"settings", list}};
}

}  // namespace

Result<json> TopologyService::settings(const std::string& name) {
  auto record = find(name);
  if (!record) return record.error();
  return settings_of(*record);
}

Result<json> TopologyService::change_settings(const std::string& name, const json& body) {
  if (!body.is_object() || (!body.contains("set") && !body.contains("reset")) ||
      (body.contains("set") && !body["set"].is_object()) ||
      (body.contains("reset") && !body["reset"].is_array()))
    return bad_request(
        "the body must be {\"set\": {key: value, ...}, \"reset\": [key, ...]} (either or both)");
  std::lock_guard lock(mutex_);
  auto found = find_changeable(name);
  if (!found) return found.error();
  TopologyRecord record = found.value();
  auto refuse = [&](const std::string& key) {
    std::string keys;
    for (const char* k : kBuiltInSettings) keys += std::string(keys.empty() ? "" : ", ") + k;
    for (const auto& k : record.changeable) keys += ", " + k;
    return bad_request("'" + key + "' cannot change while topology '" + name +
                       "' runs; these can: " + keys);
  };
  for (const auto& key : body.value("reset", json::array())) {
    if (!key.is_string()) return bad_request("'reset' lists keys, as strings");
    if (!changeable(record, key.get<std::string>())) return refuse(key.get<std::string>());
    record.settings.erase(key.get<std::string>());
  }
  const json set = body.value("set", json::object());  // items() only borrows
  for (const auto& [key, value] : set.items()) {
    if (!changeable(record, key)) return refuse(key);
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (auto ok = check_setting(key, text); !ok) return ok.error();
    record.settings[key] = text;
  }
  record.settings_version += 1;
  if (auto written = ctx_.state.set_topology(record); !written) return store_error(written);
  return settings_of(record);
}

void TopologyService::start_scheduled() {
  // Read without the lock (most seconds nothing is due); the lock only to act, on a fresh read.
  auto ids = ctx_.state.topology_ids();
  if (!ids) return;
  std::int64_t now = ctx_.now();
  for (const auto& id : *ids) {
    auto peek = ctx_.state.topology(id);
    if (!peek || !peek->has_value() || (*peek)->start_at_secs == 0 || (*peek)->start_at_secs > now)
      continue;
    std::lock_guard lock(mutex_);
    auto record = ctx_.state.topology(id);
    if (!record || !record->has_value()) continue;
    TopologyRecord r = **record;
    // A rebalance owns the status until it ends: the start waits for it (a second later).
    if (r.start_at_secs == 0 || r.start_at_secs > now || r.status != TopologyStatus::inactive ||
        rebalancing_.contains(id))
      continue;
    r.status = TopologyStatus::active;
    std::int64_t due = r.start_at_secs;
    r.start_at_secs = 0;
    if (auto written = ctx_.state.set_topology(r); !written) continue;  // next round
    spdlog::info("topology {} activated as scheduled for {} ({} s late)", r.name,
                 format_rfc3339(due), now - due);
    if (ctx_.on_scheduled_start) ctx_.on_scheduled_start(r, due);
  }
}

std::int64_t TopologyService::wait_for(const TopologyRecord& record,
                                       std::optional<std::int64_t> wait_secs) const {
  if (wait_secs) return std::max<std::int64_t>(0, *wait_secs);
  auto conf = record_config(record);
  return conf ? conf->get_int(conf::kTopologyMessageTimeoutSecs) : 30;
}

Result<json> TopologyService::kill(const std::string& name, std::optional<std::int64_t> wait_secs) {
  std::lock_guard lock(mutex_);
  auto found = find(name);
  if (!found) return found.error();
  TopologyRecord record = found.value();
  std::int64_t wait = wait_for(record, wait_secs);
  record.status = TopologyStatus::killed;
  if (auto written = ctx_.state.set_topology(record); !written) return store_error(written);
  ctx_.defer(std::chrono::seconds(wait), [this, id = record.id] { finish_kill(id); });
  spdlog::info("killing topology {} in {} s", record.id, wait);
  return json{{"id", record.id}, {"status", "killed"}, {"wait_secs", wait}};
}

void TopologyService::finish_kill(const std::string& id) {
  std::lock_guard lock(mutex_);
  drop_state(id);
  (void)ctx_.state.remove_heartbeats(id);  // a worker still stopping may write one more
  auto removed = ctx_.state.remove_assignment(id);
  if (removed) removed = ctx_.state.remove_blobs(id);
  if (removed) removed = ctx_.state.remove_credentials(id);
  if (removed) removed = ctx_.state.remove_topology(id);
  if (!removed && zookeeper_unreachable(removed.error())) {
    spdlog::error("killing topology {}: {}; trying again in {} s", id, removed.error().message,
                  kRetryDeferredSecs);
    ctx_.defer(std::chrono::seconds(kRetryDeferredSecs), [this, id] { finish_kill(id); });
  } else if (!removed)
    spdlog::error("killing topology {}: {} (retried on the next Nimbus start)", id,
                  removed.error().message);
  else
    spdlog::info("killed topology {}", id);
}

void TopologyService::drop_state(const std::string& id) {
  // Its checkpoints die with it, as Flink's do on cancel: what is to be kept is a savepoint.
  auto record = ctx_.state.topology(id);
  if (!record || !record->has_value()) return;
  auto conf = record_config(**record);
  if (!conf || !conf->contains("redis.host") ||
      conf->get_string(conf::kTopologyStateBackend) == "memory")
    return;
  auto backend = cluster_backend(*conf);
  Status dropped = backend ? (*backend)->drop(id) : Status(backend.error());
  if (!dropped)
    spdlog::warn("killing topology {}: its checkpoints were not deleted from Redis: {}", id,
                 dropped.error().message);
}

void TopologyService::resume_kills() {
  auto ids = ctx_.state.topology_ids();
  for (const auto& id : ids ? *ids : std::vector<std::string>{}) {
    auto record = ctx_.state.topology(id);
    if (!record || !record->has_value() || (*record)->status != TopologyStatus::killed) continue;
    ctx_.defer(std::chrono::seconds(wait_for(**record, std::nullopt)),
               [this, id] { finish_kill(id); });
  }
}

// ---- rebalance -------------------------------------------------------------------------------

namespace {

// The record with `workers` workers, if given.
TopologyRecord with_workers(TopologyRecord record, std::optional<int> workers) {
  if (workers) {
    record.num_workers = *workers;
    record.config[conf::kTopologyWorkers] = std::to_string(*workers);
  }
  return record;
}

}  // namespace

Status TopologyService::check_slots(const Assignment* current, int workers) {
  auto supervisors = ctx_.state.supervisors();
  if (!supervisors) return store_error(supervisors);
  auto assignments = all_assignments();
  if (!assignments) return assignments.error();
  int own = current ? static_cast<int>(slots_of(*current).size()) : 0;
  if (own >= workers) return {};
  auto extra = choose_slots(*supervisors, used_slots(*assignments), workers - own);
  if (!extra) return extra.error();
  return {};
}

Result<json> TopologyService::rebalance(const std::string& name, const RebalanceRequest& request) {
  std::lock_guard lock(mutex_);
  auto found = find_changeable(name);
  if (!found) return found.error();
  TopologyRecord record = found.value();
  auto current = ctx_.state.assignment(record.id);
  if (!current) return store_error(current);
  if (request.workers) {
    auto enough = check_slots(current->has_value() ? &**current : nullptr, *request.workers);
    if (!enough) return enough.error();
  }
  // The whole request is checked before anything changes: the new layout must load (unknown
  // components, bad executor counts and the topology's own checks are refused here, with the
  // inspector's one line).
  auto planned = with_workers(record, request.workers);
  auto artifact = ctx_.artifacts.path(record.artifact_sha256);
  if (!artifact) return artifact.error();
  if (auto layout = ctx_.inspector({*artifact, planned.config, request.executors}); !layout)
    return layout.error();
  TopologyStatus restore = record.status;
  record.status = TopologyStatus::inactive;
  if (auto written = ctx_.state.set_topology(record); !written) return store_error(written);
  rebalancing_.insert(record.id);  // its status is the rebalance's until it ends
  std::int64_t wait = wait_for(record, request.wait_secs);
  ctx_.defer(std::chrono::seconds(wait),
             [this, id = record.id, request, restore] { finish_rebalance(id, request, restore); });
  spdlog::info("rebalancing topology {} in {} s", record.id, wait);
  return json{{"id", record.id}, {"status", "rebalancing"}, {"wait_secs", wait}};
}

void TopologyService::finish_rebalance(const std::string& id, const RebalanceRequest& request,
                                       TopologyStatus restore) {
  std::lock_guard lock(mutex_);
  auto stored = ctx_.state.topology(id);
  if (!stored && zookeeper_unreachable(stored.error())) {  // else the topology would stay inactive
    spdlog::warn("rebalancing topology {}: {}; trying again in {} s", id, stored.error().message,
                 kRetryDeferredSecs);
    ctx_.defer(std::chrono::seconds(kRetryDeferredSecs),
               [this, id, request, restore] { finish_rebalance(id, request, restore); });
    return;
  }
  rebalancing_.erase(id);
  if (!stored || !stored->has_value() || (*stored)->status == TopologyStatus::killed) return;
  // What changed since the request was checked (slots taken meanwhile, ZooKeeper unreachable)
  // can still fail it: then the topology keeps its assignment and gets its status back.
  auto fail = [&, before = **stored](const std::string& why) {
    spdlog::error("rebalancing topology {} failed, it keeps its assignment: {}", id, why);
    TopologyRecord restored = before;
    restored.status = restore;
    if (auto written = ctx_.state.set_topology(restored); !written)
      spdlog::error("restoring the status of {}: {}", id, written.error().message);
  };
  TopologyRecord record = with_workers(**stored, request.workers);
  auto current = ctx_.state.assignment(id);
  if (!current || !current->has_value()) return fail("no assignment");
  auto artifact = ctx_.artifacts.path(record.artifact_sha256);
  if (!artifact) return fail(artifact.error().message);
  auto layout = ctx_.inspector({*artifact, record.config, request.executors});
  if (!layout) return fail(layout.error().message);

  // The topology's own slots first (as many as still wanted), then free ones.
  auto slots = slots_of(**current);
  if (static_cast<int>(slots.size()) > record.num_workers) slots.resize(record.num_workers);
  if (static_cast<int>(slots.size()) < record.num_workers) {
    auto supervisors = ctx_.state.supervisors();
    auto assignments = all_assignments();
    if (!supervisors || !assignments) return fail("cannot read the cluster state");
    auto extra = choose_slots(*supervisors, used_slots(*assignments),
                              record.num_workers - static_cast<int>(slots.size()));
    if (!extra) return fail(extra.error().message);
    slots.insert(slots.end(), extra->begin(), extra->end());
  }
  auto executors = layout->executors();
  Assignment next{id, replan(executors, slots, (*current)->task_slots), executors, ctx_.now(),
                  (*current)->epoch + 1};
  record.status = restore;
  if (auto written = ctx_.state.set_assignment(next); !written)
    return fail(written.error().message);
  if (auto written = ctx_.state.set_topology(record); !written)
    return fail(written.error().message);
  // The heartbeats of the slots it gave up go with them (their workers exit).
  for (const auto& old : slots_of(**current))
    if (std::find(slots.begin(), slots.end(), old) == slots.end())
      (void)ctx_.state.remove_heartbeat(id, old.host, old.port);
  spdlog::info("rebalanced topology {} over {} workers", id, slots.size());
}

// ---- monitor ---------------------------------------------------------------------------------

void TopologyService::monitor() {
  std::lock_guard lock(mutex_);
  std::uint64_t interruptions = ctx_.interruptions();
  std::int64_t now = ctx_.now();
  auto supervisors = ctx_.state.supervisors();
  auto assignments = all_assignments();
  if (!supervisors || !assignments) {
    spdlog::warn("monitor: cannot read the cluster state; judging no worker until it can");
    liveness_.lose_sight();
    return;
  }
  struct Observed {
    Assignment assignment;
    std::vector<coordination::WorkerHeartbeat> beats;
  };
  std::vector<Observed> live;
  for (const auto& assignment : *assignments) {
    auto record = ctx_.state.topology(assignment.topology_id);
    auto beats = ctx_.state.heartbeats(assignment.topology_id);
    if (!record || !beats) {
      spdlog::warn("monitor: cannot read topology {}; judging no worker until it can",
                   assignment.topology_id);
      liveness_.lose_sight();
      return;
    }
    bool dying = !record->has_value() || (*record)->status == TopologyStatus::killed;
    if (!dying) live.push_back({assignment, std::move(*beats)});
  }
  // A connection lost since the last pass, or during these reads, means that what they show
  // may be what was true before an outage, and that workers may not have been able to write:
  // judge nothing now, and give everyone a full timeout from the next pass.
  std::uint64_t after = ctx_.interruptions();
  if (after != interruptions || after != interruptions_seen_) {
    interruptions_seen_ = after;
    liveness_.lose_sight();
    spdlog::info(
        "monitor: the ZooKeeper connection was interrupted; every worker gets a full "
        "timeout from now");
    return;
  }
  for (const auto& [assignment, beats] : live) {
    if (recover_if_asked(assignment, beats, now)) continue;
    reassign_lost_slots(assignment, beats, *supervisors, *assignments, now);
  }
  liveness_.end_round();
}

void TopologyService::lose_sight() {
  std::lock_guard lock(mutex_);
  liveness_.lose_sight();
}

bool TopologyService::recover_if_asked(Assignment assignment,
                                       const std::vector<coordination::WorkerHeartbeat>& beats,
                                       std::int64_t now) {
  // A worker of a stateful topology that replaced a dead one asks for a new epoch: every worker
  // then restarts its executors, which restore the last complete checkpoint (docs/STATE.md).
  auto asking = std::find_if(beats.begin(), beats.end(), [&](const auto& b) {
    return b.recover_epoch != 0 && b.recover_epoch == assignment.epoch;
  });
  if (asking == beats.end()) return false;
  assignment.start_time_secs = now;
  assignment.epoch += 1;
  if (auto written = ctx_.state.set_assignment(assignment); !written) {
    spdlog::error("monitor: recovering {}: {}", assignment.topology_id, written.error().message);
    return true;
  }
  spdlog::warn(
      "monitor: a worker of {} on {}:{} was replaced; epoch {}: every worker restores the last "
      "checkpoint",
      assignment.topology_id, asking->host, asking->port, assignment.epoch);
  return true;
}

void TopologyService::reassign_lost_slots(Assignment assignment,
                                          const std::vector<coordination::WorkerHeartbeat>& beats,
                                          const std::vector<SupervisorInfo>& supervisors,
                                          const std::vector<Assignment>& all, std::int64_t now) {
  std::map<std::string, std::int64_t> last_beat;
  for (const auto& beat : beats) last_beat[slot_key(beat.host, beat.port)] = beat.time_secs;
  SlotSet offered;
  std::set<std::string> registered;
  for (const auto& supervisor : supervisors) {
    registered.insert(supervisor.id);
    for (int port : supervisor.ports) offered.insert(Slot{supervisor.id, supervisor.host, port});
  }
  bool in_grace = now - assignment.start_time_secs < ctx_.task_timeout_secs;

  std::vector<Slot> lost, kept;
  for (const auto& slot : slots_of(assignment)) {
    // A supervisor missing from ZooKeeper (its session may be recovering) is given the same
    // timeout as a worker; one that is there but no longer offers the slot has given it up.
    bool present = registered.contains(slot.supervisor_id);
    bool supervisor_gone =
        liveness_.silent("supervisor " + slot.supervisor_id,
                         present ? std::optional<std::int64_t>(now) : std::nullopt, now) ||
        (present && !offered.contains(slot));
    auto beat = last_beat.find(slot_key(slot.host, slot.port));
    bool silent =
        liveness_.silent(
            assignment.topology_id + " " + slot_key(slot.host, slot.port),
            beat == last_beat.end() ? std::nullopt : std::optional<std::int64_t>(beat->second),
            now) &&
        !in_grace;
    (supervisor_gone || silent ? lost : kept).push_back(slot);
  }
  if (lost.empty()) return;
  auto fresh = replacement_slots(lost, supervisors, used_slots(all));
  kept.insert(kept.end(), fresh.begin(), fresh.end());
  if (kept.empty()) {
    spdlog::warn("monitor: topology {} lost all its slots and no slot is free",
                 assignment.topology_id);
    return;
  }
  assignment.task_slots = replan(assignment.executors, kept, assignment.task_slots);
  assignment.start_time_secs = now;
  assignment.epoch += 1;
  if (auto written = ctx_.state.set_assignment(assignment); !written) {
    spdlog::error("monitor: reassigning {}: {}", assignment.topology_id, written.error().message);
    return;
  }
  for (const auto& slot : lost) {
    (void)ctx_.state.remove_heartbeat(assignment.topology_id, slot.host, slot.port);
    spdlog::warn("monitor: moved the executors of {} off {}:{}", assignment.topology_id, slot.host,
                 slot.port);
  }
}

}  // namespace gale::nimbus
