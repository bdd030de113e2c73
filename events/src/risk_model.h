#pragma once
// risk-alert's default rules evaluated incrementally, with the semantics of
// topologies/risk-alert/README.md: windows in event time over (ts - window, ts], transactions in
// (ts, id) order. The generator asks it, before emitting a transaction, which rules that
// transaction would raise; it emits background only when the answer is none and a planted step
// only when the answer is exactly the planted rule.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gale/events/events.h"

namespace gale::events {

// The UTC hour of day (0-23) of an event time, and whether it is in night-transfer's hours.
int utc_hour(std::int64_t ts_ms);
bool in_night_hours(std::int64_t ts_ms);

class RiskModel {
 public:
  // The rule ids `t` raises given every transaction recorded so far (all earlier than `t`).
  std::vector<std::string_view> evaluate(const Transaction& t) const;
  // Adds `t` to the history. Transactions come in increasing ts.
  void record(const Transaction& t);

  // Sum of the account's transactions in (ts - 24 h, ts), i.e. before one at ts.
  std::int64_t window_sum(const std::string& account, std::int64_t ts) const;
  // The card's transactions in (ts - 60 s, ts).
  int card_count(const std::string& card, std::int64_t ts) const;
  // Whether the card's last transaction happened at (lat, lon); true for an unused card.
  bool card_last_at(const std::string& card, double lat, double lon) const;
  bool has_paid(const std::string& account, const std::string& counterparty) const;

 private:
  struct CardState {
    std::deque<std::int64_t> recent;  // ts within the velocity window
    std::int64_t last_ts = 0;
    double last_lat = 0;
    double last_lon = 0;
  };
  struct AccountState {
    std::deque<std::pair<std::int64_t, std::int64_t>> recent;  // (ts, amount) within 24 h
    std::int64_t recent_sum = 0;
    std::unordered_set<std::string> counterparties;
  };
  const CardState* card(const std::string& id) const;
  const AccountState* account(const std::string& id) const;

  std::unordered_map<std::string, CardState> cards_;
  std::unordered_map<std::string, AccountState> accounts_;
};

}  // namespace gale::events
