#pragma once
// Risk rules as data: a rules file (YAML) that an analyst edits, loaded into an immutable
// RuleSet that engines share. The format and every kind's semantics:
// topologies/risk-alert/README.md.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gale/result.h"
#include "gale/risk/errc.h"
#include "gale/risk/time_zone.h"

namespace gale::risk {

enum class RuleKind {
  threshold,
  velocity,
  cumulative,
  time_of_day,
  impossible_travel,
  list,
  first_time_payee
};
enum class Severity { low, medium, high, critical };

// The transaction field that groups a windowed rule's history.
enum class KeyField { card, account };

// The transaction field a list rule looks up (`merchant` in the file is the counterparty).
enum class ListField { account, card, customer, counterparty, device, city, currency, channel };

std::string_view to_string(RuleKind kind);
std::string_view to_string(Severity severity);

// One rule. Only the fields of its kind are meaningful; the loader has checked them.
struct Rule {
  std::string id;
  RuleKind kind = RuleKind::threshold;
  Severity severity = Severity::medium;
  std::string when;               // Lua expression over `tx`; empty: every transaction
  KeyField key = KeyField::card;  // velocity, cumulative, impossible_travel
  std::int64_t window_ms = 0;     // velocity, cumulative
  std::int64_t count = 0;         // velocity
  std::int64_t limit_minor = 0;   // cumulative, in minor units (the file has major units)
  int from_minute = 0;            // time_of_day: minutes after local midnight, [from, to)
  int to_minute = 0;
  // The zone of a time_of_day window and of tx.hour / tx.minute in `when`: the rule's
  // time_zone, else the rule set's, else UTC.
  TimeZone zone;
  double max_speed_kmh = 0;             // impossible_travel
  ListField field = ListField::device;  // list
  std::size_t list_index = 0;           // list: index into RuleSet::lists()
};

// A named list of values (e.g. blacklisted devices), sorted for lookup.
struct WatchList {
  std::string name;
  std::vector<std::string> values;  // sorted, unique
  bool contains(std::string_view value) const;
};

// An immutable, validated set of rules. Shared (std::shared_ptr<const RuleSet>) by every engine
// that uses it, so it is safe to read from any thread.
class RuleSet {
 public:
  RuleSet(std::vector<Rule> rules, std::vector<WatchList> lists);

  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<WatchList>& lists() const { return lists_; }

  // How far back (event time, before a key's newest transaction) history must reach for every
  // rule to see all it can: the longest window, and for impossible_travel the time within which
  // the farthest two points on Earth are still "too fast".
  std::int64_t retention_ms() const { return retention_ms_; }

 private:
  std::vector<Rule> rules_;
  std::vector<WatchList> lists_;
  std::int64_t retention_ms_ = 0;
};

// Parses and checks a rules document, including compiling every `when` in a sandboxed Lua state.
// All or nothing: the rules (never null), or an Error (RiskErrc) whose message names the rule
// (id and position) and the field.
Result<std::shared_ptr<const RuleSet>> load_rules(std::string_view yaml);

// load_rules on a file's contents; error messages start with the path.
Result<std::shared_ptr<const RuleSet>> load_rules_file(const std::string& path);

// The rules in topologies/risk-alert/rules/default.yaml, compiled into the library.
std::string_view default_rules_yaml();

}  // namespace gale::risk
