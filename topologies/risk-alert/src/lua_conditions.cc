#include "lua_conditions.h"

#include <climits>
#include <cstdlib>
#include <iterator>
#include <stdexcept>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

namespace gale::risk {
namespace {

static_assert(LuaConditions::no_condition == LUA_NOREF);

// Runs in the full state once, and builds what conditions may see. Only references to safe
// functions leave it; the real globals, string and math tables stay out of reach (read-only
// proxies without __pairs, and the string metatable hidden), so one condition cannot change
// what another sees. math.random is left out: a condition must give the same answer on replay.
constexpr std::string_view sandbox_bootstrap = R"lua(
local function read_only(t, name)
  return setmetatable({}, {
    __index = t,
    __newindex = function(_, k)
      error(name .. " is read-only (cannot set " .. tostring(k) .. ")", 2)
    end,
    __metatable = false,
  })
end
local safe = { _VERSION = _VERSION }
for _, k in ipairs({ "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawlen",
                     "select", "tonumber", "tostring", "type" }) do
  safe[k] = _G[k]
end
local safe_math = {}
for k, v in pairs(math) do
  if k ~= "random" and k ~= "randomseed" then safe_math[k] = v end
end
safe.string = read_only(string, "string")
safe.math = read_only(safe_math, "math")
getmetatable("").__metatable = false
local fields = {}
return read_only(safe, "the environment"), fields, read_only(fields, "tx")
)lua";

// In the order of their bits.
constexpr std::string_view tx_field_names[] = {
    "id",   "account", "card", "customer", "amount", "currency", "channel", "counterparty",
    "city", "lat",     "lon",  "device",   "ts",     "hour",     "minute"};
static_assert(std::size(tx_field_names) == 15 && all_tx_fields == (1u << 15) - 1);

enum TxFieldBit : TxFields {
  tx_id = 1u << 0,
  tx_account = 1u << 1,
  tx_card = 1u << 2,
  tx_customer = 1u << 3,
  tx_amount = 1u << 4,
  tx_currency = 1u << 5,
  tx_channel = 1u << 6,
  tx_counterparty = 1u << 7,
  tx_city = 1u << 8,
  tx_lat = 1u << 9,
  tx_lon = 1u << 10,
  tx_device = 1u << 11,
  tx_ts = 1u << 12,
  tx_hour = 1u << 13,
  tx_minute = 1u << 14,
};

bool identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  return i;
}

LuaConditions* owner(lua_State* lua) {
  return *static_cast<LuaConditions**>(lua_getextraspace(lua));
}

int clamp_to_int(std::uint64_t n) {
  return n > INT_MAX ? INT_MAX : static_cast<int>(n);
}

void set_field(lua_State* lua, const char* name, std::string_view value) {
  lua_pushlstring(lua, value.data(), value.size());
  lua_setfield(lua, -2, name);
}

void set_field(lua_State* lua, const char* name, double value) {
  lua_pushnumber(lua, value);
  lua_setfield(lua, -2, name);
}

void set_field(lua_State* lua, const char* name, lua_Integer value) {
  lua_pushinteger(lua, value);
  lua_setfield(lua, -2, name);
}

// The bodies below run under lua_pcall (run_protected), so that a memory error raised by any
// API call unwinds to there instead of aborting the process.
struct SandboxRefs {
  int environment, tx_fields, tx;
};

int create_sandbox_body(lua_State* lua) {
  auto* refs = static_cast<SandboxRefs*>(lua_touserdata(lua, 1));
  luaL_requiref(lua, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(lua, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(lua, LUA_MATHLIBNAME, luaopen_math, 1);
  lua_pop(lua, 3);
  if (luaL_loadbufferx(lua, sandbox_bootstrap.data(), sandbox_bootstrap.size(), "=sandbox", "t") !=
      LUA_OK) {
    return lua_error(lua);
  }
  lua_call(lua, 0, 3);
  refs->tx = luaL_ref(lua, LUA_REGISTRYINDEX);
  refs->tx_fields = luaL_ref(lua, LUA_REGISTRYINDEX);
  refs->environment = luaL_ref(lua, LUA_REGISTRYINDEX);
  return 0;
}

struct CompileArgs {
  std::string chunk;
  std::string chunk_name;
  int environment;
  int condition = LuaConditions::no_condition;
  bool compiled = false;
};

int compile_body(lua_State* lua) {
  auto* args = static_cast<CompileArgs*>(lua_touserdata(lua, 1));
  if (luaL_loadbufferx(lua, args->chunk.data(), args->chunk.size(), args->chunk_name.c_str(),
                       "t") != LUA_OK) {
    return lua_error(lua);  // Lua's syntax message
  }
  lua_rawgeti(lua, LUA_REGISTRYINDEX, args->environment);
  lua_setupvalue(lua, -2, 1);  // the chunk's _ENV
  args->condition = luaL_ref(lua, LUA_REGISTRYINDEX);
  return 0;
}

struct FillArgs {
  const events::Transaction* t;  // null: only tx.hour and tx.minute, to `time`
  TxFields fields;
  int tx_fields;
  TimeOfDay time;
};

int fill_body(lua_State* lua) {
  const auto* args = static_cast<const FillArgs*>(lua_touserdata(lua, 1));
  const TxFields f = args->fields;
  lua_rawgeti(lua, LUA_REGISTRYINDEX, args->tx_fields);
  if (f & tx_hour) set_field(lua, "hour", static_cast<lua_Integer>(args->time.hour));
  if (f & tx_minute) set_field(lua, "minute", static_cast<lua_Integer>(args->time.minute));
  if (!args->t) return 0;
  const events::Transaction& t = *args->t;
  if (f & tx_id) set_field(lua, "id", t.id);
  if (f & tx_account) set_field(lua, "account", t.account);
  if (f & tx_card) set_field(lua, "card", t.card);
  if (f & tx_customer) set_field(lua, "customer", t.customer);
  if (f & tx_amount) set_field(lua, "amount", t.amount());
  if (f & tx_currency) set_field(lua, "currency", t.currency);
  if (f & tx_channel) set_field(lua, "channel", events::to_string(t.channel));
  if (f & tx_counterparty) set_field(lua, "counterparty", t.counterparty);
  if (f & tx_city) set_field(lua, "city", t.city);
  if (f & tx_lat) set_field(lua, "lat", t.lat);
  if (f & tx_lon) set_field(lua, "lon", t.lon);
  if (f & tx_device) set_field(lua, "device", t.device);
  if (f & tx_ts) set_field(lua, "ts", static_cast<lua_Integer>(t.ts_ms));
  return 0;
}

void on_instruction_count(lua_State* lua, lua_Debug*) {
  luaL_error(lua, "condition aborted after %d instructions (a runaway loop?)",
             clamp_to_int(owner(lua)->instruction_limit()));
}

}  // namespace

TxFields tx_fields_read(std::string_view expression) {
  if (expression.find("...") != std::string_view::npos) return all_tx_fields;  // tx as vararg
  TxFields fields = 0;
  for (std::size_t at = expression.find("tx"); at != std::string_view::npos;
       at = expression.find("tx", at + 2)) {
    const bool token = (at == 0 || !identifier_char(expression[at - 1])) &&
                       (at + 2 == expression.size() || !identifier_char(expression[at + 2]));
    if (!token) continue;  // part of another name, e.g. "ctx" or "tx_count"
    std::size_t i = skip_spaces(expression, at + 2);
    if (i >= expression.size() || expression[i] != '.' ||
        (i + 1 < expression.size() && expression[i + 1] == '.')) {
      return all_tx_fields;  // tx[k], f(tx), tx .. "x": any field may be read
    }
    i = skip_spaces(expression, i + 1);
    std::size_t end = i;
    while (end < expression.size() && identifier_char(expression[end])) ++end;
    const std::string_view name = expression.substr(i, end - i);
    for (std::size_t bit = 0; bit < std::size(tx_field_names); ++bit) {
      if (name == tx_field_names[bit]) fields |= 1u << bit;
    }
  }
  return fields;
}

LuaConditions::LuaConditions(std::uint64_t instruction_limit, std::size_t memory_limit_bytes)
    : instruction_limit_(instruction_limit), memory_limit_(memory_limit_bytes) {
  lua_ = lua_newstate(&LuaConditions::allocate, this);
  if (lua_ == nullptr) throw std::runtime_error("cannot create a Lua state (out of memory)");
  *static_cast<LuaConditions**>(lua_getextraspace(lua_)) = this;
  // Most of each transaction's strings die young: the generational collector suits that.
  lua_gc(lua_, LUA_GCGEN, 0, 0);
  SandboxRefs refs{};
  if (!run_protected(&create_sandbox_body, &refs)) {
    lua_close(lua_);
    throw std::runtime_error("cannot create the Lua sandbox: " + error_);
  }
  environment_ = refs.environment;
  tx_fields_ = refs.tx_fields;
  tx_ = refs.tx;
}

LuaConditions::~LuaConditions() {
  lua_close(lua_);
}

void* LuaConditions::allocate(void* self, void* block, std::size_t old_size, std::size_t new_size) {
  auto* conditions = static_cast<LuaConditions*>(self);
  if (block == nullptr) old_size = 0;  // then old_size is the kind of object, not a size
  if (new_size == 0) {
    std::free(block);
    conditions->memory_used_ -= old_size;
    return nullptr;
  }
  if (new_size > old_size &&
      conditions->memory_used_ + (new_size - old_size) > conditions->memory_limit_) {
    return nullptr;  // Lua raises "not enough memory" in the condition
  }
  void* resized = std::realloc(block, new_size);
  if (resized != nullptr) conditions->memory_used_ = conditions->memory_used_ - old_size + new_size;
  return resized;
}

bool LuaConditions::run_protected(int (*body)(lua_State*), void* argument) {
  lua_pushcfunction(lua_, body);
  lua_pushlightuserdata(lua_, argument);
  if (lua_pcall(lua_, 1, 0, 0) == LUA_OK) return true;
  const char* message = lua_tostring(lua_, -1);
  error_ = message != nullptr ? message : "(an error without a message)";
  lua_pop(lua_, 1);
  return false;
}

int LuaConditions::compile(std::string_view name, std::string_view expression, std::string& error) {
  // The expression becomes the body of a chunk taking tx, on the user's first line so Lua's
  // line numbers are the user's; the newline keeps a trailing -- comment from eating the ')'.
  CompileArgs args;
  args.chunk.reserve(expression.size() + 32);
  args.chunk.append("local tx = ... return (").append(expression).append("\n)");
  args.chunk_name.append("=").append(name);
  args.environment = environment_;
  if (!run_protected(&compile_body, &args)) {
    error = error_;
    return no_condition;
  }
  return args.condition;
}

void LuaConditions::release(int condition) {
  if (condition != no_condition) luaL_unref(lua_, LUA_REGISTRYINDEX, condition);
}

bool LuaConditions::set_transaction(const events::Transaction& t, TxFields fields,
                                    const TimeZone& zone) {
  const TimeOfDay time =
      fields & (tx_hour | tx_minute) ? zone.time_of_day(t.ts_ms) : TimeOfDay{0, 0};
  FillArgs args{&t, fields, tx_fields_, time};
  return run_protected(&fill_body, &args);
}

bool LuaConditions::set_time_of_day(TimeOfDay time, TxFields fields) {
  if (!(fields & (tx_hour | tx_minute))) return true;
  FillArgs args{nullptr, fields, tx_fields_, time};
  return run_protected(&fill_body, &args);
}

LuaConditions::Outcome LuaConditions::evaluate(int condition) {
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, condition);
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, tx_);
  // Setting the hook also restarts its count: each call gets the whole budget.
  lua_sethook(lua_, &on_instruction_count, LUA_MASKCOUNT, clamp_to_int(instruction_limit_));
  const int status = lua_pcall(lua_, 1, 1, 0);
  lua_sethook(lua_, nullptr, 0, 0);
  if (status != LUA_OK) {
    const char* message = lua_tostring(lua_, -1);
    error_ = message != nullptr ? message : "(an error without a message)";
    lua_pop(lua_, 1);
    return Outcome::error;
  }
  const bool holds = lua_toboolean(lua_, -1) != 0;
  lua_pop(lua_, 1);
  return holds ? Outcome::holds : Outcome::fails;
}

}  // namespace gale::risk
