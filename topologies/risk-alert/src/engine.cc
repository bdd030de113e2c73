#include "gale/risk/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

#include "lua_conditions.h"

namespace gale::risk {
namespace {

constexpr double earth_radius_km = 6371.0088;  // the mean radius
constexpr double ms_per_hour = 3'600'000.0;

double radians(double degrees) {
  return degrees * (std::numbers::pi / 180.0);
}

double haversine_km(double lat1, double lon1, double lat2, double lon2) {
  const double dlat = radians(lat2 - lat1);
  const double dlon = radians(lon2 - lon1);
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(radians(lat1)) * std::cos(radians(lat2)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * earth_radius_km * std::asin(std::min(1.0, std::sqrt(a)));
}

// (0, 0) is where a transaction without a location lands; travel to or from it is not travel.
bool has_location(double lat, double lon) {
  return lat != 0 || lon != 0;
}

double one_decimal(double x) {
  return std::round(x * 10) / 10;
}

std::string_view field_value(const events::Transaction& t, ListField field) {
  switch (field) {
    case ListField::account:
      return t.account;
    case ListField::card:
      return t.card;
    case ListField::customer:
      return t.customer;
    case ListField::counterparty:
      return t.counterparty;
    case ListField::device:
      return t.device;
    case ListField::city:
      return t.city;
    case ListField::currency:
      return t.currency;
    case ListField::channel:
      return events::to_string(t.channel);
  }
  return {};
}

TxFields fields_read(const RuleSet& rules) {
  TxFields fields = 0;
  for (const Rule& rule : rules.rules()) {
    if (!rule.when.empty()) fields |= tx_fields_read(rule.when);
  }
  return fields;
}

const std::string& key_of(const events::Transaction& t, KeyField key) {
  return key == KeyField::card ? t.card : t.account;
}

}  // namespace

// One transaction's evaluation: what all rules share (the new-payee answer, the Lua tx table)
// and what the rule under test found, which becomes the alert's evidence. Plain values, so
// testing a rule allocates nothing.
struct RiskEngine::Evaluation {
  explicit Evaluation(const events::Transaction& transaction) : t(transaction) {}

  const events::Transaction& t;
  bool first_payee = false;
  bool tx_prepared = false;  // the Lua tx table holds t
  bool tx_ok = false;
  TimeZone tx_zone;  // the zone of tx.hour and tx.minute in the Lua tx table

  std::int64_t count = 0;
  std::int64_t sum_minor = 0;
  double km = 0;
  double kmh = 0;
  double minutes = 0;
  bool instant = false;  // impossible travel with no time between the two transactions
  std::string_view from_city;
  std::string_view value;
  int hour = 0;
};

RiskEngine::RiskEngine(std::shared_ptr<const RuleSet> rules, RiskEngineOptions options,
                       std::unique_ptr<TransactionHistory> history)
    : history_(history ? std::move(history) : std::make_unique<InMemoryHistory>()),
      lua_(std::make_unique<LuaConditions>(options.condition_instruction_limit,
                                           options.condition_memory_limit_bytes)) {
  if (!rules) throw std::invalid_argument("RiskEngine: no rules");
  slots_ = compile(*rules);
  tx_fields_ = fields_read(*rules);
  rules_ = std::move(rules);
}

RiskEngine::~RiskEngine() = default;

std::vector<RiskEngine::RuleSlot> RiskEngine::compile(const RuleSet& rules) {
  std::vector<RuleSlot> slots(rules.rules().size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const Rule& rule = rules.rules()[i];
    slots[i].condition = LuaConditions::no_condition;
    if (rule.when.empty()) continue;
    std::string error;
    slots[i].condition = lua_->compile("rule " + rule.id, rule.when, error);
    if (slots[i].condition == LuaConditions::no_condition) {
      release(slots);
      throw std::runtime_error("rule '" + rule.id + "', field 'when': does not compile: " + error);
    }
  }
  // Only now that nothing can fail: counters by rule id, kept across reloads.
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].stats = &stats_.try_emplace(rules.rules()[i].id).first->second;
  }
  return slots;
}

void RiskEngine::release(const std::vector<RuleSlot>& slots) {
  for (const RuleSlot& slot : slots) lua_->release(slot.condition);
}

void RiskEngine::replace_rules(std::shared_ptr<const RuleSet> rules) {
  if (!rules) throw std::invalid_argument("RiskEngine::replace_rules: no rules");
  std::vector<RuleSlot> slots = compile(*rules);
  release(slots_);
  slots_ = std::move(slots);
  tx_fields_ = fields_read(*rules);
  rules_ = std::move(rules);
}

std::vector<Alert> RiskEngine::evaluate(const events::Transaction& t) {
  std::vector<Alert> alerts;
  evaluate(t, alerts);
  return alerts;
}

void RiskEngine::evaluate(const events::Transaction& t, std::vector<Alert>& alerts) {
  ++transactions_;
  Evaluation ev(t);
  ev.first_payee = history_->record(t, rules_->retention_ms()).new_payee;
  const std::vector<Rule>& rules = rules_->rules();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    // The kind's own test first: it is cheaper than a Lua call and usually false.
    if (!fires(rules[i], ev) || !condition_holds(i, ev)) continue;
    alerts.push_back(alert_for(rules[i], ev));
    ++slots_[i].stats->alerts;
  }
}

bool RiskEngine::fires(const Rule& rule, Evaluation& ev) {
  const events::Transaction& t = ev.t;
  switch (rule.kind) {
    case RuleKind::threshold:
      return true;
    case RuleKind::time_of_day: {
      const TimeOfDay time = rule.zone.time_of_day(t.ts_ms);
      const int minute = time.hour * 60 + time.minute;
      ev.hour = time.hour;
      return rule.from_minute < rule.to_minute
                 ? minute >= rule.from_minute && minute < rule.to_minute
                 : minute >= rule.from_minute || minute < rule.to_minute;  // wraps midnight
    }
    case RuleKind::list: {
      ev.value = field_value(t, rule.field);
      return !ev.value.empty() && rules_->lists()[rule.list_index].contains(ev.value);
    }
    case RuleKind::first_time_payee:
      return ev.first_payee;
    default:
      return windowed_rule_fires(rule, ev);
  }
}

bool RiskEngine::windowed_rule_fires(const Rule& rule, Evaluation& ev) {
  const events::Transaction& t = ev.t;
  const std::string& key = key_of(t, rule.key);
  if (key.empty()) return false;  // e.g. a transfer without a card, under a card rule
  // t itself is never taken from the history, only what comes before it in (ts, id) order: a
  // replay, or a t too old to be kept, counts the same.
  switch (rule.kind) {
    case RuleKind::velocity: {
      const WindowTotals before_t =
          history_->totals(rule.key, key, t.ts_ms - rule.window_ms, t.ts_ms, t.id);
      ev.count = before_t.count + 1;
      return ev.count == rule.count;
    }
    case RuleKind::cumulative: {
      const WindowTotals before_t =
          history_->totals(rule.key, key, t.ts_ms - rule.window_ms, t.ts_ms, t.id);
      ev.sum_minor = before_t.sum_minor + t.amount_minor;
      return before_t.sum_minor < rule.limit_minor && rule.limit_minor <= ev.sum_minor;
    }
    case RuleKind::impossible_travel: {
      const HistoryEntry* previous = history_->latest_before(rule.key, key, t.ts_ms, t.id);
      return previous != nullptr && travel_too_fast(rule, *previous, ev);
    }
    default:
      return false;
  }
}

bool RiskEngine::travel_too_fast(const Rule& rule, const HistoryEntry& previous, Evaluation& ev) {
  const events::Transaction& t = ev.t;
  if (!has_location(previous.lat, previous.lon) || !has_location(t.lat, t.lon)) return false;
  ev.km = haversine_km(previous.lat, previous.lon, t.lat, t.lon);
  const std::int64_t elapsed_ms = t.ts_ms - previous.ts_ms;
  ev.minutes = static_cast<double>(elapsed_ms) / 60'000.0;
  ev.from_city = previous.city;
  ev.instant = elapsed_ms == 0;
  if (ev.instant) return ev.km > 1.0;  // two places at once (beyond GPS noise)
  ev.kmh = ev.km / (static_cast<double>(elapsed_ms) / ms_per_hour);
  return ev.kmh > rule.max_speed_kmh;
}

bool RiskEngine::condition_holds(std::size_t rule_index, Evaluation& ev) {
  RuleSlot& slot = slots_[rule_index];
  if (slot.condition == LuaConditions::no_condition) return true;
  const Rule& rule = rules_->rules()[rule_index];
  if (!ev.tx_prepared) {  // once per transaction, and only if some rule needs it
    ev.tx_prepared = true;
    ev.tx_ok = lua_->set_transaction(ev.t, tx_fields_, rule.zone);
    ev.tx_zone = rule.zone;
  } else if (ev.tx_ok && !(ev.tx_zone == rule.zone)) {  // tx.hour in this rule's zone
    ev.tx_ok = lua_->set_time_of_day(rule.zone.time_of_day(ev.t.ts_ms), tx_fields_);
    ev.tx_zone = rule.zone;
  }
  if (ev.tx_ok) {
    const LuaConditions::Outcome outcome = lua_->evaluate(slot.condition);
    if (outcome != LuaConditions::Outcome::error) return outcome == LuaConditions::Outcome::holds;
  }
  ++slot.stats->condition_errors;
  if (!slot.error_logged) {
    slot.error_logged = true;
    spdlog::warn(
        "risk rule '{}': its condition failed on transaction {}: {} (the rule does not fire on "
        "such transactions; further failures of this rule are only counted in the engine stats)",
        rule.id, ev.t.id, lua_->last_error());
  }
  return false;
}

Alert RiskEngine::alert_for(const Rule& rule, const Evaluation& ev) const {
  const events::Transaction& t = ev.t;
  nlohmann::json evidence;
  const double window_s = static_cast<double>(rule.window_ms) / 1000.0;
  switch (rule.kind) {
    case RuleKind::threshold:
      evidence = {{"amount", t.amount()}};
      break;
    case RuleKind::velocity:
      evidence = {{"count", ev.count}, {"window_s", window_s}};
      break;
    case RuleKind::cumulative:
      evidence = {{"sum", static_cast<double>(ev.sum_minor) / 100.0},
                  {"limit", static_cast<double>(rule.limit_minor) / 100.0},
                  {"window_s", window_s}};
      break;
    case RuleKind::time_of_day:
      evidence = {{"hour", ev.hour}};
      break;
    case RuleKind::impossible_travel:
      evidence = {{"from_city", ev.from_city},
                  {"to_city", t.city},
                  {"km", one_decimal(ev.km)},
                  {"kmh", ev.instant ? nlohmann::json() : nlohmann::json(one_decimal(ev.kmh))},
                  {"minutes", one_decimal(ev.minutes)}};
      break;
    case RuleKind::list:
      evidence = {{"list", rules_->lists()[rule.list_index].name}, {"value", ev.value}};
      break;
    case RuleKind::first_time_payee:
      evidence = {{"counterparty", t.counterparty}};
      break;
  }
  return Alert{alert_id(rule.id, t.id),           rule.id, std::string(to_string(rule.severity)),
               std::string(to_string(rule.kind)), t,       std::move(evidence)};
}

RiskStats RiskEngine::stats() const {
  RiskStats stats;
  stats.transactions = transactions_;
  stats.rules.insert(stats_.begin(), stats_.end());
  return stats;
}

}  // namespace gale::risk
