#include "gale/risk/redis_history.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gale/errors.h"
#include "gale/redis/client.h"

namespace gale::risk {
namespace {

// Runs in Redis (Lua 5.1), atomically: one round trip per transaction, and a lost reply cannot
// leave half a transaction recorded. It mirrors InMemoryHistory::record step by step.
//
// KEYS: the history keys of t (card, account: those t has), then the two payee keys if ARGV[7]
// is "1". ARGV: 1 ts, 2 member prefix (the encoded id: identifies t at its ts), 3 member,
// 4 retention ms, 5 history ttl ms, 6 number of history keys, 7 payee flag, 8 counterparty,
// 9 id, 10 max payees per account, 11 payee ttl ms.
// Returns {new payee (0|1), the members and scores of each history key in (horizon, ts]}.
constexpr const char* kRecordScript = R"lua(
local ts = tonumber(ARGV[1])
local prefix = ARGV[2]
local retention = tonumber(ARGV[4])
local function decimal(x) return string.format('%.0f', x) end
-- Byte order, as std::string compares; Lua's own < follows the server's locale.
local function id_less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local out = {0}
local keys = tonumber(ARGV[6])
for i = 1, keys do
  local key = KEYS[i]
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  local horizon = ts - retention
  if newest[2] and tonumber(newest[2]) > ts then horizon = tonumber(newest[2]) - retention end
  if ts > horizon then
    local replay = false
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, ARGV[1], ARGV[1])) do
      if string.sub(m, 1, #prefix) == prefix then replay = true break end
    end
    if not replay then redis.call('ZADD', key, ARGV[1], ARGV[3]) end
  end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', decimal(horizon))
  out[i + 1] = redis.call('ZRANGEBYSCORE', key, '(' .. decimal(horizon), ARGV[1], 'WITHSCORES')
  redis.call('PEXPIRE', key, ARGV[5])
end

if ARGV[7] == '1' then
  local first_key, seen_key = KEYS[keys + 1], KEYS[keys + 2]
  local payee, id = ARGV[8], ARGV[9]
  local first = redis.call('HGET', first_key, payee)
  if first then
    local colon = string.find(first, ':', 1, true)
    local first_ts, first_id = tonumber(string.sub(first, 1, colon - 1)), string.sub(first, colon + 1)
    local seen = tonumber(redis.call('ZSCORE', seen_key, payee)) or ts
    if ts > seen then redis.call('ZADD', seen_key, ARGV[1], payee) end
    local earlier = first_ts < ts or (first_ts == ts and id_less(first_id, id))
    if not earlier then
      out[1] = 1
      if first_ts ~= ts or first_id ~= id then
        redis.call('HSET', first_key, payee, ARGV[1] .. ':' .. id)
      end
    end
  else
    if redis.call('HLEN', first_key) >= tonumber(ARGV[10]) then
      local evicted = redis.call('ZPOPMIN', seen_key)
      if evicted[1] then redis.call('HDEL', first_key, evicted[1]) end
    end
    redis.call('HSET', first_key, payee, ARGV[1] .. ':' .. id)
    redis.call('ZADD', seen_key, ARGV[1], payee)
    out[1] = 1
  end
  redis.call('PEXPIRE', first_key, ARGV[11])
  redis.call('PEXPIRE', seen_key, ARGV[11])
end
return out
)lua";

// A member is the id, order-preserving escaped (0x00 -> 0x00 0xFF) and ended by 0x00 0x01, then
// "amount|lat|lon|city". The end mark sorts below every id byte, so members of one ts sort as
// their ids do ("tx1" before "tx10"), and no id's encoding is a prefix of another's.
constexpr std::string_view kIdEnd("\0\x01", 2);

std::string encoded_id(std::string_view id) {
  std::string out;
  out.reserve(id.size() + 2);
  for (char c : id) {
    out.push_back(c);
    if (c == '\0') out.push_back('\xFF');
  }
  out.append(kIdEnd);
  return out;
}

std::string number(double x) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, x).ptr;  // shortest exact form
  return std::string(buffer, end);
}

std::string member(const events::Transaction& t) {
  return encoded_id(t.id) + std::to_string(t.amount_minor) + '|' + number(t.lat) + '|' +
         number(t.lon) + '|' + t.city;
}

[[noreturn]] void corrupt_member(std::string_view why) {
  throw std::runtime_error("risk state in redis: a history member is not in the expected format (" +
                           std::string(why) + ")");
}

template <typename T>
T parse_number(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) corrupt_member(text);
  return value;
}

// The field up to the next '|' of `rest`, which then starts after it.
std::string_view next_field(std::string_view& rest) {
  const auto bar = rest.find('|');
  if (bar == std::string_view::npos) corrupt_member("a field is missing");
  std::string_view field = rest.substr(0, bar);
  rest.remove_prefix(bar + 1);
  return field;
}

HistoryEntry decode(std::string_view m, std::int64_t ts) {
  HistoryEntry entry;
  entry.ts_ms = ts;
  std::size_t i = 0;
  for (;; ++i) {
    if (i + 1 >= m.size()) corrupt_member("no end of the id");
    if (m[i] != '\0') {
      entry.id.push_back(m[i]);
    } else if (m[i + 1] == '\xFF') {
      entry.id.push_back('\0');
      ++i;
    } else {
      break;  // 0x00 0x01: the end of the id
    }
  }
  std::string_view rest = m.substr(i + kIdEnd.size());
  entry.amount_minor = parse_number<std::int64_t>(next_field(rest));
  entry.lat = parse_number<double>(next_field(rest));
  entry.lon = parse_number<double>(next_field(rest));
  entry.city = std::string(rest);
  return entry;
}

// The members of one key, in (ts, id) order, with their scores.
std::vector<HistoryEntry> decode_scored(const redis::Reply& reply) {
  std::vector<HistoryEntry> entries;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    // A score is a ts, which a double holds exactly (|ts| < 2^53); Redis may write it as 1e+12.
    const double score = parse_number<double>(reply.elements[i + 1].str);
    entries.push_back(decode(reply.elements[i].str, static_cast<std::int64_t>(score)));
  }
  return entries;
}

// What record() read of one key: its entries before t, for the queries about t that follow.
struct KeySnapshot {
  KeyField field = KeyField::card;
  std::string key;
  std::int64_t ts = 0;
  std::string id;
  std::vector<HistoryEntry> before;  // the key's entries before (ts, id), in (ts, id) order
};

// Drops the entries not before (ts, id): a read by score ends at ts, which holds t itself and
// the transactions of that instant ordered after it.
void keep_before(std::vector<HistoryEntry>& entries, std::int64_t ts, std::string_view id) {
  std::erase_if(entries, [&](const HistoryEntry& e) { return !before(e.ts_ms, e.id, ts, id); });
}

WindowTotals totals_of(const std::vector<HistoryEntry>& entries, std::int64_t after_ts) {
  WindowTotals totals;
  for (const HistoryEntry& entry : entries) {
    if (entry.ts_ms <= after_ts) continue;
    ++totals.count;
    totals.sum_minor += entry.amount_minor;
  }
  return totals;
}

std::int64_t millis_from(const Config& conf, const char* key, std::chrono::milliseconds fallback) {
  const auto fallback_s = std::chrono::duration_cast<std::chrono::seconds>(fallback).count();
  std::int64_t seconds = fallback_s;
  try {
    seconds = conf.get_int(key, fallback_s);
  } catch (const TypeError&) {
    seconds = -1;
  }
  if (seconds < 0 || seconds > 10LL * 365 * 24 * 3600)
    throw std::invalid_argument(std::string(key) +
                                ": expected a whole number of seconds in [0, 10 years], got \"" +
                                conf.get_string(key) + "\"");
  return seconds * 1000;
}

}  // namespace

struct RedisHistory::State {
  State(redis::ConnectionOptions connection, RedisHistoryOptions o)
      : options(std::move(o)), client(std::move(connection)) {}

  RedisHistoryOptions options;
  redis::RedisClient client;
  std::string script_sha;  // empty until loaded: after a server restart it must be loaded again
  std::size_t round_trips = 0;
  std::vector<KeySnapshot> snapshots;  // of the transaction recorded last
  HistoryEntry latest;                 // what latest_before() points to when not from a snapshot

  std::string key_for(KeyField field, std::string_view key) const {
    return options.prefix + (field == KeyField::card ? "card:" : "account:") + std::string(key);
  }

  std::string where() const { return "risk state in redis at " + client.options().address(); }

  std::vector<redis::Reply> send(const std::vector<redis::Command>& commands) {
    ++round_trips;
    auto replies = client.pipeline(commands);
    if (!replies)
      throw std::runtime_error(where() + ": " + replies.code().message() + ": " +
                               replies.error().message);
    return std::move(replies.value());
  }

  redis::Reply checked(redis::Reply reply, std::string_view what) const {
    if (reply.is_error())
      throw std::runtime_error(where() + ": " + std::string(what) + ": " + reply.str);
    return reply;
  }

  // The script's reply; loads the script first when the server does not hold it (first use,
  // or the server restarted), in the same round trip.
  redis::Reply run_script(const std::vector<std::string>& keys,
                          const std::vector<std::string>& args) {
    redis::Command eval{"EVALSHA", script_sha, std::to_string(keys.size())};
    eval.insert(eval.end(), keys.begin(), keys.end());
    eval.insert(eval.end(), args.begin(), args.end());
    if (!script_sha.empty()) {
      redis::Reply reply = send({eval})[0];
      if (!reply.is_error() || !reply.str.starts_with("NOSCRIPT")) return checked(reply, "record");
    }
    eval[0] = "EVAL";
    eval[1] = kRecordScript;
    auto replies = send({{"SCRIPT", "LOAD", kRecordScript}, eval});
    script_sha = checked(std::move(replies[0]), "SCRIPT LOAD").str;
    return checked(std::move(replies[1]), "record");
  }

  const KeySnapshot* snapshot(KeyField field, std::string_view key, std::int64_t ts,
                              std::string_view id) const {
    for (const KeySnapshot& s : snapshots) {
      if (s.field == field && s.key == key && s.ts == ts && s.id == id) return &s;
    }
    return nullptr;
  }

  // The key's entries in [from_ts, ts] before (ts, id), from Redis.
  std::vector<HistoryEntry> read_before(KeyField field, std::string_view key, std::string from,
                                        std::int64_t ts, std::string_view id) {
    redis::Command range{"ZRANGEBYSCORE", key_for(field, key), std::move(from), std::to_string(ts),
                         "WITHSCORES"};
    std::vector<HistoryEntry> entries = decode_scored(checked(send({range})[0], "read"));
    keep_before(entries, ts, id);
    return entries;
  }
};

RedisHistory::RedisHistory(redis::ConnectionOptions connection, RedisHistoryOptions options)
    : state_(std::make_unique<State>(std::move(connection), std::move(options))) {}

RedisHistory::~RedisHistory() = default;

Recorded RedisHistory::record(const events::Transaction& t, std::int64_t retention_ms) {
  State& s = *state_;
  s.snapshots.clear();
  std::vector<std::string> keys;
  std::vector<KeyField> fields;
  if (!t.card.empty()) fields.push_back(KeyField::card);
  if (!t.account.empty()) fields.push_back(KeyField::account);
  for (KeyField field : fields) {
    keys.push_back(s.key_for(field, field == KeyField::card ? t.card : t.account));
  }
  const bool payee = !t.account.empty() && !t.counterparty.empty();
  if (payee) {
    keys.push_back(s.options.prefix + "payees:" + t.account);
    keys.push_back(s.options.prefix + "payees-seen:" + t.account);
  }
  const std::int64_t ttl_ms =
      std::max<std::int64_t>(retention_ms, 0) + s.options.expiry_slack.count();
  const std::string ts = std::to_string(t.ts_ms);
  const redis::Reply reply =
      s.run_script(keys, {ts, encoded_id(t.id), member(t), std::to_string(retention_ms),
                          std::to_string(std::max<std::int64_t>(ttl_ms, 1)),
                          std::to_string(fields.size()), payee ? "1" : "0", t.counterparty, t.id,
                          std::to_string(s.options.max_payees_per_account),
                          std::to_string(std::max<std::int64_t>(s.options.payee_ttl.count(), 1))});
  if (reply.type != redis::Reply::Type::array || reply.elements.size() != fields.size() + 1)
    throw std::runtime_error(s.where() + ": unexpected reply to record: " + reply.to_string());

  for (std::size_t i = 0; i < fields.size(); ++i) {
    KeySnapshot snapshot{fields[i], fields[i] == KeyField::card ? t.card : t.account, t.ts_ms, t.id,
                         decode_scored(reply.elements[i + 1])};
    keep_before(snapshot.before, t.ts_ms, t.id);
    s.snapshots.push_back(std::move(snapshot));
  }
  return Recorded{reply.elements[0].integer == 1};
}

WindowTotals RedisHistory::totals(KeyField field, std::string_view key, std::int64_t after_ts,
                                  std::int64_t ts, std::string_view id) {
  if (const KeySnapshot* s = state_->snapshot(field, key, ts, id))
    return totals_of(s->before, after_ts);
  return totals_of(state_->read_before(field, key, "(" + std::to_string(after_ts), ts, id),
                   after_ts);
}

const HistoryEntry* RedisHistory::latest_before(KeyField field, std::string_view key,
                                                std::int64_t ts, std::string_view id) {
  if (const KeySnapshot* s = state_->snapshot(field, key, ts, id))
    return s->before.empty() ? nullptr : &s->before.back();
  std::vector<HistoryEntry> entries = state_->read_before(field, key, "-inf", ts, id);
  if (entries.empty()) return nullptr;
  state_->latest = std::move(entries.back());
  return &state_->latest;
}

std::size_t RedisHistory::round_trips() const {
  return state_->round_trips;
}

bool history_is_checkpointed(const Config& conf) {
  const std::string kind = conf.get_string("risk.state", "checkpoint");
  if (kind != "checkpoint" && kind != "memory" && kind != "redis")
    throw std::invalid_argument("risk.state: expected 'checkpoint', 'memory' or 'redis', got '" +
                                kind + "'");
  return kind == "checkpoint";
}

std::unique_ptr<TransactionHistory> make_history(const Config& conf, StateContext* state) {
  if (history_is_checkpointed(conf)) {
    if (state == nullptr)
      throw std::invalid_argument(
          "risk.state: 'checkpoint' keeps the history in a stateful bolt's state, and there is "
          "none here");
    return InMemoryHistory::checkpointed(*state);
  }
  if (conf.get_string("risk.state") == "memory") return std::make_unique<InMemoryHistory>();
  RedisHistoryOptions options;
  options.prefix = conf.get_string("risk.state.prefix", options.prefix);
  options.expiry_slack = std::chrono::milliseconds(
      millis_from(conf, "risk.state.expiry.slack.s", options.expiry_slack));
  options.payee_ttl =
      std::chrono::milliseconds(millis_from(conf, "risk.state.payees.ttl.s", options.payee_ttl));
  return std::make_unique<RedisHistory>(redis::ConnectionOptions::from_config(conf),
                                        std::move(options));
}

}  // namespace gale::risk
