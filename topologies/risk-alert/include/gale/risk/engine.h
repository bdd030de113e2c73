#pragma once
// The risk engine: evaluates each transaction against a RuleSet and returns the alerts.
//
// Threading: an engine belongs to one thread (one bolt task); it owns a Lua state and its
// history. Fields grouping on the key (card or account) keeps each key's transactions on one
// engine. Rules may be replaced while running; the history stays.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gale/events/events.h"
#include "gale/risk/alert.h"
#include "gale/risk/history.h"
#include "gale/risk/rules.h"

namespace gale::risk {

class LuaConditions;  // private: src/lua_conditions.h

struct RiskEngineOptions {
  // Lua VM instructions one condition may run per transaction before it is aborted (counts
  // as a condition error).
  std::uint64_t condition_instruction_limit = 100'000;
  // Memory the engine's Lua state may hold; an allocation past it fails the condition.
  std::size_t condition_memory_limit_bytes = 32u << 20;
};

struct RuleStats {
  std::uint64_t alerts = 0;
  std::uint64_t condition_errors = 0;  // runtime errors of the rule's `when`
};

struct RiskStats {
  std::uint64_t transactions = 0;          // evaluations, replays included
  std::map<std::string, RuleStats> rules;  // by rule id; kept across replace_rules
};

class RiskEngine {
 public:
  // Compiles every condition of rules into the engine's own sandboxed Lua state. history
  // defaults to an InMemoryHistory. Throws std::invalid_argument on null rules and
  // std::runtime_error if a condition cannot be compiled (a RuleSet from load_rules has been
  // compiled once already, so that only happens when Lua runs out of memory).
  explicit RiskEngine(std::shared_ptr<const RuleSet> rules, RiskEngineOptions options = {},
                      std::unique_ptr<TransactionHistory> history = nullptr);
  ~RiskEngine();
  RiskEngine(const RiskEngine&) = delete;
  RiskEngine& operator=(const RiskEngine&) = delete;

  // Records t in the history and appends an alert to `alerts` for every rule that fires on it.
  // Evaluating the same transaction again (a replay) counts it once in the history and gives
  // the same alerts with the same ids. A condition that fails at runtime is counted (stats),
  // logged once per rule, and that rule does not fire for t; the other rules still run.
  void evaluate(const events::Transaction& t, std::vector<Alert>& alerts);
  std::vector<Alert> evaluate(const events::Transaction& t);

  // Switches to another rule set, all or nothing (same exceptions as the constructor; on an
  // exception the old rules stay). The history is kept, so new and changed rules apply from the
  // next transaction with the history there is, pruned to the old rule set's retention.
  void replace_rules(std::shared_ptr<const RuleSet> rules);

  const RuleSet& rules() const { return *rules_; }
  RiskStats stats() const;

 private:
  // What the engine keeps per rule of the current rule set, by rule index.
  struct RuleSlot {
    int condition = -2;          // the compiled `when` in lua_, or LuaConditions::no_condition
    RuleStats* stats = nullptr;  // into stats_
    bool error_logged = false;
  };
  struct Evaluation;

  std::vector<RuleSlot> compile(const RuleSet& rules);
  void release(const std::vector<RuleSlot>& slots);
  bool fires(const Rule& rule, Evaluation& ev);
  bool windowed_rule_fires(const Rule& rule, Evaluation& ev);
  bool travel_too_fast(const Rule& rule, const HistoryEntry& previous, Evaluation& ev);
  bool condition_holds(std::size_t rule_index, Evaluation& ev);
  Alert alert_for(const Rule& rule, const Evaluation& ev) const;

  std::shared_ptr<const RuleSet> rules_;
  std::unique_ptr<TransactionHistory> history_;
  std::unique_ptr<LuaConditions> lua_;
  std::vector<RuleSlot> slots_;
  std::uint32_t tx_fields_ = 0;  // the tx fields the conditions read (TxFields)
  std::uint64_t transactions_ = 0;
  std::map<std::string, RuleStats, std::less<>> stats_;  // nodes are stable: slots point here
};

}  // namespace gale::risk
