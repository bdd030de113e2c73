#pragma once
// Shared by the risk rules tests: transactions with sensible defaults, rules from YAML text,
// and the rule ids an evaluation fired.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gale/risk/engine.h"
#include "gale/risk/rules.h"

namespace gale::risk::testing {

// 2026-11-24T00:00:00Z: a UTC midnight.
constexpr std::int64_t midnight_ms = 1'795'478'400'000;
constexpr std::int64_t second_ms = 1000;
constexpr std::int64_t minute_ms = 60 * second_ms;
constexpr std::int64_t hour_ms = 60 * minute_ms;

struct Place {
  const char* city;
  double lat;
  double lon;
};
inline constexpr Place paris{"Paris", 48.8566, 2.3522};
inline constexpr Place berlin{"Berlin", 52.5200, 13.4050};
inline constexpr Place new_york{"New York", 40.7128, -74.0060};

// A 10.00 EUR POS payment of card-1 / acct-1 in Paris at noon UTC.
inline events::Transaction tx(const std::string& id,
                              std::int64_t ts_ms = midnight_ms + 12 * hour_ms) {
  events::Transaction t;
  t.id = id;
  t.account = "acct-1";
  t.card = "card-1";
  t.customer = "cust-1";
  t.amount_minor = 1000;
  t.currency = "EUR";
  t.channel = events::Channel::pos;
  t.counterparty = "merchant-1";
  t.city = paris.city;
  t.lat = paris.lat;
  t.lon = paris.lon;
  t.ts_ms = ts_ms;
  return t;
}

inline events::Transaction at(events::Transaction t, const Place& place) {
  t.city = place.city;
  t.lat = place.lat;
  t.lon = place.lon;
  return t;
}

inline events::Transaction with_amount(events::Transaction t, std::int64_t amount_minor) {
  t.amount_minor = amount_minor;
  return t;
}

// The rule set of `yaml`; fails the test (and throws to stop it) when it does not load.
inline std::shared_ptr<const RuleSet> rules(const std::string& yaml) {
  auto load = load_rules(yaml);
  if (!load) {
    ADD_FAILURE() << "rules did not load: " << load.error().message;
    throw std::runtime_error(load.error().message);
  }
  return load.value();
}

// The ids of the rules that fired, sorted.
inline std::vector<std::string> fired(RiskEngine& engine, const events::Transaction& t) {
  std::vector<std::string> ids;
  for (const Alert& alert : engine.evaluate(t)) ids.push_back(alert.rule);
  std::sort(ids.begin(), ids.end());
  return ids;
}

using Ids = std::vector<std::string>;

}  // namespace gale::risk::testing
