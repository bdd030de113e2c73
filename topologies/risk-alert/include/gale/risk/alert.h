#pragma once
// An alert: which rule fired on which transaction, and why (the evidence).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "gale/events/events.h"

namespace gale::risk {

struct Alert {
  std::string id;        // alert_id(rule, transaction.id): the same on every replay
  std::string rule;      // the rule id
  std::string severity;  // low | medium | high | critical
  std::string kind;      // the rule kind, e.g. "velocity"
  events::Transaction transaction;
  nlohmann::json evidence;  // per kind, see the README
};

// 16 lowercase hex digits: FNV-1a 64 of rule_id + "|" + transaction_id. Deterministic, so a
// replayed transaction yields the same alert id and a store can drop the duplicate.
std::string alert_id(std::string_view rule_id, std::string_view transaction_id);

// The alert as one JSON object: alert_id, rule, severity, kind, evidence, transaction (the
// transaction's event JSON, events::to_json).
std::string alert_to_json(const Alert& alert);

}  // namespace gale::risk
