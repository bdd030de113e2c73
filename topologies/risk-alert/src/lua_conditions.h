#pragma once
// The `when` conditions in one sandboxed Lua 5.4 state. Private to the library.
//
// Sandbox: a condition sees `tx` (read-only) and a read-only environment of the safe base
// functions plus `string` and `math`; no io, os, package/require, load, dofile, debug,
// coroutine, metatables or pcall. Each call may run a bounded number of VM instructions (a
// count hook aborts it) and the state a bounded amount of memory (the allocator refuses more).
// Not thread-safe: one owner thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gale/events/events.h"
#include "gale/risk/time_zone.h"

struct lua_State;

namespace gale::risk {

// The fields of `tx`, as bits: a rule set fills only those its conditions read, since making
// Lua strings of every field of every transaction would cost more than the conditions.
using TxFields = std::uint32_t;
constexpr TxFields all_tx_fields = (1u << 15) - 1;

// The tx fields `expression` may read: those named as tx.<field>, or all of them when tx (or
// `...`) is used in any other way (tx[k], pairs(tx), f(tx)). Errs on the side of all.
TxFields tx_fields_read(std::string_view expression);

class LuaConditions {
 public:
  static constexpr int no_condition = -2;  // LUA_NOREF

  LuaConditions(std::uint64_t instruction_limit, std::size_t memory_limit_bytes);
  ~LuaConditions();
  LuaConditions(const LuaConditions&) = delete;
  LuaConditions& operator=(const LuaConditions&) = delete;

  // Compiles a Lua expression into a condition named `name` (Lua's messages start with it).
  // Returns its handle, or no_condition with Lua's message in `error`.
  int compile(std::string_view name, std::string_view expression, std::string& error);
  void release(int condition);

  // Makes t the `tx` of the following calls, setting `fields` of it (the others keep old values,
  // so `fields` must cover what the conditions read). False (message in last_error()) when
  // even that failed, i.e. the state is out of memory.
  // tx.hour and tx.minute are the time of day in `zone`.
  bool set_transaction(const events::Transaction& t, TxFields fields, const TimeZone& zone);
  // Sets tx.hour and tx.minute (those of them in `fields`) to `time`, for a rule in another
  // zone than the transaction was set in. False as set_transaction.
  bool set_time_of_day(TimeOfDay time, TxFields fields);

  enum class Outcome { holds, fails, error };
  // Runs a condition on the current tx. On Outcome::error, last_error() says why.
  Outcome evaluate(int condition);
  const std::string& last_error() const { return error_; }
  std::uint64_t instruction_limit() const { return instruction_limit_; }

 private:
  static void* allocate(void* self, void* block, std::size_t old_size, std::size_t new_size);
  bool run_protected(int (*body)(lua_State*), void* argument);

  std::uint64_t instruction_limit_;
  std::size_t memory_limit_;
  std::size_t memory_used_ = 0;
  lua_State* lua_ = nullptr;
  int environment_ = 0;  // registry refs
  int tx_fields_ = 0;
  int tx_ = 0;
  std::string error_;
};

}  // namespace gale::risk
