#include "risk_model.h"

#include <algorithm>

#include "gale/events/default_rules.h"
#include "geo.h"

namespace gale::events {

namespace rules = default_rules;

namespace {

bool online_or_mobile(const Transaction& t) {
  return t.channel == Channel::online || t.channel == Channel::mobile;
}

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

int utc_hour(std::int64_t ts_ms) {
  constexpr std::int64_t kDay = 86'400'000;
  return static_cast<int>(((ts_ms % kDay) + kDay) % kDay / 3'600'000);
}

bool in_night_hours(std::int64_t ts_ms) {
  int hour = utc_hour(ts_ms);
  return hour >= rules::kNightFromHour && hour < rules::kNightToHour;
}

const RiskModel::CardState* RiskModel::card(const std::string& id) const {
  auto it = cards_.find(id);
  return it == cards_.end() ? nullptr : &it->second;
}

const RiskModel::AccountState* RiskModel::account(const std::string& id) const {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : &it->second;
}

std::int64_t RiskModel::window_sum(const std::string& id, std::int64_t ts) const {
  const AccountState* a = account(id);
  if (!a) return 0;
  std::int64_t sum = a->recent_sum;
  for (const auto& [entry_ts, amount] : a->recent) {
    if (entry_ts > ts - rules::kCumulativeWindowMs) break;
    sum -= amount;
  }
  return sum;
}

int RiskModel::card_count(const std::string& id, std::int64_t ts) const {
  const CardState* c = card(id);
  if (!c) return 0;
  return static_cast<int>(std::count_if(c->recent.begin(), c->recent.end(), [&](std::int64_t t) {
    return t > ts - rules::kVelocityWindowMs;
  }));
}

bool RiskModel::card_last_at(const std::string& id, double lat, double lon) const {
  const CardState* c = card(id);
  return !c || (c->last_lat == lat && c->last_lon == lon);
}

bool RiskModel::has_paid(const std::string& account_id, const std::string& counterparty) const {
  const AccountState* a = account(account_id);
  return a && a->counterparties.contains(counterparty);
}

std::vector<std::string_view> RiskModel::evaluate(const Transaction& t) const {
  std::vector<std::string_view> raised;
  if (t.amount_minor >= rules::kLargeAmountMinor) raised.push_back(rules::kLargeAmount);
  if (!t.card.empty()) {
    if (card_count(t.card, t.ts_ms) + 1 == rules::kVelocityCount)
      raised.push_back(rules::kCardVelocity);
  }
  std::int64_t before = window_sum(t.account, t.ts_ms);
  if (before < rules::kCumulativeLimitMinor &&
      before + t.amount_minor >= rules::kCumulativeLimitMinor)
    raised.push_back(rules::kDailyCumulative);
  if (in_night_hours(t.ts_ms) && t.amount_minor >= rules::kNightTransferMinor &&
      online_or_mobile(t))
    raised.push_back(rules::kNightTransfer);
  if (const CardState* c = t.card.empty() ? nullptr : card(t.card)) {
    double km = distance_km(c->last_lat, c->last_lon, t.lat, t.lon);
    double hours = static_cast<double>(t.ts_ms - c->last_ts) / 3'600'000.0;
    if (km > 0 && (hours <= 0 || km / hours > rules::kMaxSpeedKmh))
      raised.push_back(rules::kImpossibleTravel);
  }
  if (listed(rules::kBlacklistedDevices, t.device)) raised.push_back(rules::kBlacklistedDevice);
  if (listed(rules::kBlacklistedCounterparties, t.counterparty))
    raised.push_back(rules::kBlacklistedCounterparty);
  if (online_or_mobile(t) && t.amount_minor >= rules::kFirstTimePayeeMinor &&
      !has_paid(t.account, t.counterparty))
    raised.push_back(rules::kFirstTimePayee);
  return raised;
}

void RiskModel::record(const Transaction& t) {
  if (!t.card.empty()) {
    CardState& c = cards_[t.card];
    while (!c.recent.empty() && c.recent.front() <= t.ts_ms - rules::kVelocityWindowMs)
      c.recent.pop_front();
    c.recent.push_back(t.ts_ms);
    c.last_ts = t.ts_ms;
    c.last_lat = t.lat;
    c.last_lon = t.lon;
  }
  AccountState& a = accounts_[t.account];
  while (!a.recent.empty() && a.recent.front().first <= t.ts_ms - rules::kCumulativeWindowMs) {
    a.recent_sum -= a.recent.front().second;
    a.recent.pop_front();
  }
  a.recent.emplace_back(t.ts_ms, t.amount_minor);
  a.recent_sum += t.amount_minor;
  a.counterparties.insert(t.counterparty);
}

}  // namespace gale::events
