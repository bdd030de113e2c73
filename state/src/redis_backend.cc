// The Redis backend (the cluster's): every worker of a topology reaches the same checkpoints.
// Keys, under gale:state:{<topology>}: (the braces keep a topology's keys in one Redis Cluster
// slot):
//   begun                    the highest checkpoint id begun
//   fence                    the highest assignment epoch started (complete() checks it)
//   part:<task>:<id>         a task's part (bytes)
//   parts                    set of "<task>:<id>", every part stored
//   stored:<id>              hash task -> bytes of the part, for the coordinator
//   completed                sorted set of completed ids (score: the id)
//   checkpoint:<id>          a completed checkpoint's record (JSON)
//   history                  list of the last records (JSON), newest first, capped
// A part is written before it is listed (one connection, one pipeline, in order), so a task
// listed as stored for a checkpoint has its part readable.
#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>

#include "gale/redis/client.h"
#include "gale/state/backend.h"

namespace gale::state {
namespace {

std::string num(std::uint64_t n) {
  return std::to_string(n);
}

Error unavailable(const Error& e) {
  return make_error(StateErrc::unavailable, "state backend redis: " + e.message);
}

Error unexpected(const redis::Reply& r, const char* what) {
  return make_error(
      StateErrc::unavailable,
      std::string("state backend redis: unexpected reply to ") + what + ": " + r.to_string());
}

bool parse_id(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

nlohmann::json to_json(const CheckpointRecord& r) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : r.parts) parts.push_back({p.task, p.bytes});
  return {{"id", r.id},
          {"triggered_ms", r.triggered_ms},
          {"duration_ms", r.duration_ms},
          {"bytes", r.bytes},
          {"parts", parts}};
}

CheckpointRecord from_json(const nlohmann::json& j) {
  CheckpointRecord r;
  r.id = j.at("id").get<CheckpointId>();
  r.triggered_ms = j.at("triggered_ms").get<std::int64_t>();
  r.duration_ms = j.at("duration_ms").get<std::int64_t>();
  r.bytes = j.at("bytes").get<std::uint64_t>();
  for (const auto& p : j.at("parts"))
    r.parts.push_back({p.at(0).get<int>(), p.at(1).get<std::uint64_t>()});
  return r;
}

class RedisBackend final : public StateBackend {
 public:
  explicit RedisBackend(redis::ConnectionOptions options) : client_(std::move(options)) {}

  Status begin(std::string_view topology, CheckpointId id) override {
    // Never lowered: a coordinator that started late must not hand out ids again.
    return raise_to(key(topology, "begun"), id);
  }

  Result<CheckpointId> last_begun(std::string_view topology) override {
    auto r = run({"GET", key(topology, "begun")});
    if (!r.ok()) return r.error();
    if (r->is_nil()) return CheckpointId{0};
    CheckpointId id = 0;
    if (r->type != redis::Reply::Type::string || !parse_id(r->str, id))
      return unexpected(*r, "GET begun");
    return id;
  }

  Status write_part(std::string_view topology, CheckpointId id, int task,
                    std::string bytes) override {
    const std::string size = num(bytes.size());
    std::vector<redis::Command> commands{
        {"SET", part_key(topology, task, id), std::move(bytes)},
        {"SADD", key(topology, "parts"), std::to_string(task) + ":" + num(id)},
        {"HSET", key(topology, "stored:" + num(id)), std::to_string(task), size}};
    return run_all(commands);
  }

  Result<std::vector<StoredPart>> stored(std::string_view topology, CheckpointId id) override {
    auto r = run({"HGETALL", key(topology, "stored:" + num(id))});
    if (!r.ok()) return r.error();
    std::vector<StoredPart> out;
    try {
      for (const auto& [task, bytes] : redis::field_map(*r))
        out.push_back({std::stoi(task), std::stoull(bytes)});
    } catch (const std::exception&) {
      return unexpected(*r, "HGETALL stored");
    }
    return out;
  }

  Result<std::optional<std::string>> read_part(std::string_view topology, CheckpointId id,
                                               int task) override {
    auto r = run({"GET", part_key(topology, task, id)});
    if (!r.ok()) return r.error();
    if (r->is_nil()) return std::optional<std::string>{};
    if (r->type != redis::Reply::Type::string) return unexpected(*r, "GET part");
    return std::optional<std::string>{std::move(r->str)};
  }

  Result<std::optional<std::string>> read_part_head(std::string_view topology, CheckpointId id,
                                                    int task, std::size_t n) override {
    if (n == 0) return std::optional<std::string>{std::string()};
    auto r = run({"GETRANGE", part_key(topology, task, id), "0", num(n - 1)});
    if (!r.ok()) return r.error();
    if (r->type != redis::Reply::Type::string) return unexpected(*r, "GETRANGE part");
    // GETRANGE answers "" for a key that is not there; a part is never empty.
    if (r->str.empty()) return std::optional<std::string>{};
    return std::optional<std::string>{std::move(r->str)};
  }

  Status fence(std::string_view topology, std::uint64_t epoch) override {
    return raise_to(key(topology, "fence"), epoch);
  }

  Status complete(std::string_view topology, const CheckpointRecord& record,
                  std::uint64_t epoch) override {
    // One script: the fence check, the record, then the id in `completed` (the commit point).
    auto r = run({"EVAL",
                  "if tonumber(redis.call('GET', KEYS[1]) or '0') > tonumber(ARGV[1]) then "
                  "return 0 end "
                  "redis.call('SET', KEYS[2], ARGV[3]) "
                  "redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2]) "
                  "redis.call('LPUSH', KEYS[4], ARGV[3]) "
                  "redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[4]) - 1) "
                  "return 1",
                  "4", key(topology, "fence"), key(topology, "checkpoint:" + num(record.id)),
                  key(topology, "completed"), key(topology, "history"), num(epoch), num(record.id),
                  to_json(record).dump(), num(kHistoryLength)});
    if (!r.ok()) return r.error();
    if (r->type == redis::Reply::Type::integer && r->integer == 0)
      return make_error(StateErrc::fenced, "checkpoint " + num(record.id) +
                                               ": a newer epoch than " + num(epoch) + " started");
    return {};
  }

  Result<std::vector<CheckpointRecord>> history(std::string_view topology,
                                                std::size_t limit) override {
    if (limit == 0) return std::vector<CheckpointRecord>{};
    auto r =
        run({"LRANGE", key(topology, "history"), "0", num(std::min(limit, kHistoryLength) - 1)});
    if (!r.ok()) return r.error();
    if (r->type != redis::Reply::Type::array) return unexpected(*r, "LRANGE history");
    std::vector<CheckpointRecord> out;
    try {
      for (const auto& e : r->elements) out.push_back(from_json(nlohmann::json::parse(e.str)));
    } catch (const std::exception&) {
      return unexpected(*r, "LRANGE history");
    }
    return out;
  }

  Result<std::vector<CheckpointRecord>> completed(std::string_view topology) override {
    auto ids = run({"ZRANGE", key(topology, "completed"), "0", "-1"});
    if (!ids.ok()) return ids.error();
    if (ids->type != redis::Reply::Type::array) return unexpected(*ids, "ZRANGE completed");
    std::vector<CheckpointRecord> out;
    if (ids->elements.empty()) return out;
    redis::Command mget{"MGET"};
    for (const auto& e : ids->elements) mget.push_back(key(topology, "checkpoint:" + e.str));
    auto records = run(mget);
    if (!records.ok()) return records.error();
    if (records->type != redis::Reply::Type::array) return unexpected(*records, "MGET records");
    for (const auto& r : records->elements) {
      if (r.is_nil()) continue;  // removed between the two reads
      try {
        out.push_back(from_json(nlohmann::json::parse(r.str)));
      } catch (const std::exception& e) {
        return make_error(StateErrc::corrupt,
                          std::string("state backend redis: a checkpoint record: ") + e.what());
      }
    }
    return out;
  }

  Result<std::vector<PartKey>> parts(std::string_view topology) override {
    auto r = run({"SMEMBERS", key(topology, "parts")});
    if (!r.ok()) return r.error();
    if (r->type != redis::Reply::Type::array) return unexpected(*r, "SMEMBERS parts");
    std::vector<PartKey> out;
    for (const auto& e : r->elements) {
      auto colon = e.str.find(':');
      CheckpointId id = 0;
      std::uint64_t task = 0;
      if (colon == std::string::npos || !parse_id(std::string_view(e.str).substr(0, colon), task) ||
          !parse_id(std::string_view(e.str).substr(colon + 1), id))
        return unexpected(*r, "SMEMBERS parts");
      out.emplace_back(static_cast<int>(task), id);
    }
    return out;
  }

  Status remove(std::string_view topology, std::span<const PartKey> parts,
                std::span<const CheckpointId> records) override {
    std::vector<redis::Command> commands;
    for (const auto& [task, id] : parts) {
      commands.push_back({"DEL", part_key(topology, task, id)});
      commands.push_back({"SREM", key(topology, "parts"), std::to_string(task) + ":" + num(id)});
      commands.push_back({"HDEL", key(topology, "stored:" + num(id)), std::to_string(task)});
    }
    for (CheckpointId id : records) {
      commands.push_back({"ZREM", key(topology, "completed"), num(id)});
      commands.push_back({"DEL", key(topology, "checkpoint:" + num(id))});
    }
    if (commands.empty()) return {};
    return run_all(commands);
  }

  Status drop(std::string_view topology) override {
    // Every key is under the topology's prefix: SCAN for them (never KEYS, which would block
    // the server on a big keyspace) and delete them a batch at a time.
    const std::string pattern = key(topology, "*");
    std::string cursor = "0";
    do {
      auto r = run({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      if (!r.ok()) return r.error();
      if (r->type != redis::Reply::Type::array || r->elements.size() != 2)
        return unexpected(*r, "SCAN");
      cursor = r->elements[0].str;
      redis::Command del{"DEL"};
      for (const auto& k : r->elements[1].elements) del.push_back(k.str);
      if (del.size() > 1)
        if (auto d = run(std::move(del)); !d.ok()) return d.error();
    } while (cursor != "0");
    return {};
  }

 private:
  static std::string key(std::string_view topology, std::string_view name) {
    std::string k = "gale:state:{";
    k.append(topology).append("}:").append(name);
    return k;
  }
  static std::string part_key(std::string_view topology, int task, CheckpointId id) {
    return key(topology, "part:" + std::to_string(task) + ":" + num(id));
  }

  // Sets `k` to `value` unless it holds a higher number already (one script: atomic).
  Status raise_to(const std::string& k, std::uint64_t value) {
    auto r = run({"EVAL",
                  "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
                  "if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end "
                  "return 1",
                  "1", k, num(value)});
    if (!r.ok()) return r.error();
    return {};
  }

  Result<redis::Reply> run(const redis::Command& command) {
    std::lock_guard lock(mutex_);
    auto r = client_.command(command);
    if (!r.ok()) return unavailable(r.error());
    if (r->is_error()) return unexpected(*r, command.front().c_str());
    return std::move(*r);
  }
  Status run_all(std::span<const redis::Command> commands) {
    std::lock_guard lock(mutex_);
    auto r = client_.pipeline(commands);
    if (!r.ok()) return unavailable(r.error());
    for (std::size_t i = 0; i < r->size(); ++i)
      if ((*r)[i].is_error()) return unexpected((*r)[i], commands[i].front().c_str());
    return {};
  }

  std::mutex mutex_;  // the client is not thread-safe: the writer and the coordinator share it
  redis::RedisClient client_;
};

}  // namespace

std::shared_ptr<StateBackend> make_redis_backend(const Config& config) {
  return std::make_shared<RedisBackend>(redis::ConnectionOptions::from_config(config));
}

}  // namespace gale::state
