// The transaction stream: background traffic that raises no alert, and planted patterns that
// raise exactly one. Design keeps the background clear of every rule (amount caps, a daily
// budget per account, spaced card use, cards only at home, large transfers only to known
// payees); the RiskModel check before each emission makes it a guarantee.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "gale/events/default_rules.h"
#include "gale/events/generator.h"
#include "geo.h"
#include "population.h"
#include "risk_model.h"
#include "rng.h"

namespace gale::events {

namespace rules = default_rules;

namespace {

constexpr std::uint64_t kTransactionStream = 0x7472616e73616374ULL;  // "transact"
constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;

// Background keeps each account's 24 h sum at most this, which leaves room for any pattern: a
// large amount below 30000, a cumulative run that climbs from here past 50000.
constexpr std::int64_t kBackgroundDailyBudgetMinor = 20000'00;
// Patterns other than daily-cumulative leave this much below the limit for background, so that
// accounts full of patterns still take small everyday payments.
constexpr std::int64_t kBackgroundHeadroomMinor = 2000'00;
// Background uses a card only while it has at most this many transactions in the velocity
// window, so it never puts more than 2 on a card within 60 s.
constexpr int kBackgroundCardUsesPerWindow = 1;
// A customer makes about this many transactions a day; a denser stream (many transactions per
// account per day of event time) gets proportionally smaller amounts, so the budget holds.
constexpr double kUsualTransactionsPerDay = 40;
// Patterns that want daytime plant between these UTC hours.
constexpr int kDaytimeFromHour = 7;
constexpr int kDaytimeToHour = 22;
constexpr int kBackgroundAttempts = 64;
constexpr int kPlantAttempts = 3;
constexpr int kPlantAccountAttempts = 12;
// Multi-step patterns keep background away from their account while they run; at most one
// account in this many is held at once (one of a smaller population, but never the only one).
constexpr int kAccountsPerHeldAccount = 10;
constexpr double kFarCityMinKm = 1100;  // impossible-travel wants > 1000 km, with a margin
constexpr std::int64_t kTravelMaxGapMs = 30 * kMinuteMs;
constexpr std::string_view kCurrency = "EUR";
constexpr std::int64_t kLatestStartMs = 218'689'718'400'000;  // 8900-01-01T00:00:00Z

enum class Pattern {
  large_amount,
  card_velocity,
  daily_cumulative,
  night_transfer,
  impossible_travel,
  blacklisted_device,
  blacklisted_counterparty,
  first_time_payee,
};

std::string_view rule_of(Pattern p) {
  switch (p) {
    case Pattern::large_amount:
      return rules::kLargeAmount;
    case Pattern::card_velocity:
      return rules::kCardVelocity;
    case Pattern::daily_cumulative:
      return rules::kDailyCumulative;
    case Pattern::night_transfer:
      return rules::kNightTransfer;
    case Pattern::impossible_travel:
      return rules::kImpossibleTravel;
    case Pattern::blacklisted_device:
      return rules::kBlacklistedDevice;
    case Pattern::blacklisted_counterparty:
      return rules::kBlacklistedCounterparty;
    case Pattern::first_time_payee:
      return rules::kFirstTimePayee;
  }
  return {};
}

bool is_daytime(std::int64_t ts_ms) {
  int h = utc_hour(ts_ms);
  return h >= kDaytimeFromHour && h < kDaytimeToHour;
}

// A planted pattern: its steps, one per slot, the last one raising the pattern's rule.
struct Plant {
  Pattern pattern = Pattern::large_amount;
  int account = 0;
  std::string card;
  std::vector<std::int64_t> slots;
  std::size_t next_step = 0;
  int far_city = -1;              // impossible-travel: where the second step happens
  std::int64_t target_minor = 0;  // daily-cumulative: the 24 h sum after the third step

  bool multi_step() const { return slots.size() > 1; }
  bool last_step() const { return next_step + 1 == slots.size(); }
};

}  // namespace

std::string validate(const GeneratorOptions& o) {
  if (o.accounts < 1 || o.accounts > 10'000'000) return "accounts: must be between 1 and 10000000";
  if (!(o.suspicious >= 0 && o.suspicious <= 1)) return "suspicious: must be between 0 and 1";
  if (o.gap_ms < 1 || o.gap_ms > kDayMs) return "gap_ms: must be between 1 and 86400000 (a day)";
  // Up to about the year 8900, so that every event time prints as a 4-digit-year timestamp.
  if (o.start_ms < 0 || o.start_ms > kLatestStartMs)
    return "start_ms: must be between 1970-01-01 and 8900-01-01";
  return {};
}

struct TransactionGenerator::Impl {
  explicit Impl(const GeneratorOptions& o)
      : options(o),
        population(make_population(o.seed, o.accounts)),
        rng(o.seed ^ kTransactionStream),
        amount_scale(std::min(1.0, kUsualTransactionsPerDay * static_cast<double>(o.gap_ms) *
                                       o.accounts / static_cast<double>(kDayMs))),
        held(static_cast<std::size_t>(o.accounts), false),
        max_held(o.accounts < 2 ? 0 : std::max(1, o.accounts / kAccountsPerHeldAccount)) {}

  GeneratedTransaction next();

  // Planting.
  std::optional<GeneratedTransaction> start_plant(std::int64_t slot, const std::string& id,
                                                  std::int64_t ts);
  std::vector<Pattern> feasible_patterns(std::int64_t ts) const;
  std::optional<Plant> plan(Pattern p, int account, std::int64_t slot, std::int64_t ts);
  void plan_steps(Plant& p, int steps, std::int64_t min_gap_ms, std::int64_t max_gap_ms);
  std::optional<GeneratedTransaction> emit_step(int plant_id, const std::string& id,
                                                std::int64_t ts);
  std::optional<Transaction> build_step(const Plant& p, const std::string& id, std::int64_t ts);
  std::optional<Transaction> draw_step(const Plant& p, const std::string& id, std::int64_t ts);
  void end_plant(int plant_id, bool completed);
  std::int64_t free_slot_from(std::int64_t slot) const;

  // Background.
  GeneratedTransaction background(const std::string& id, std::int64_t ts);
  std::optional<Transaction> background_candidate(int account, const std::string& id,
                                                  std::int64_t ts, bool plain);
  std::optional<std::int64_t> background_cap(const Account& a, std::int64_t ts, bool plain) const;
  void card_purchase(const Account& a, Transaction& t);
  bool pick_background_card(const Account& a, Transaction& t);
  void transfer(const Account& a, Transaction& t, bool plain);
  std::int64_t scaled(double major) const {
    return std::max<std::int64_t>(1, std::llround(major * 100 * amount_scale));
  }

  // Shared by both.
  Transaction base(const Account& a, const std::string& id, std::int64_t ts) const;
  std::string_view device(const Account& a) { return rng.pick(a.devices); }
  std::optional<std::string> paid_payee(const Account& a);
  // What a pattern may add to the account's 24 h sum without crossing the limit, less the
  // headroom kept for background.
  std::int64_t room(const Account& a, std::int64_t ts) const {
    return rules::kCumulativeLimitMinor - 1 - kBackgroundHeadroomMinor - model.window_sum(a.id, ts);
  }

  GeneratorOptions options;
  std::vector<Account> population;
  Rng rng;
  RiskModel model;
  Stats stats;
  double amount_scale;
  std::int64_t next_slot = 0;
  std::int64_t next_new_payee = 1;
  std::map<std::int64_t, int> planned;  // future slot -> plant id
  std::unordered_map<int, Plant> plants;
  int next_plant_id = 0;
  std::vector<bool> held;  // accounts that a multi-step pattern keeps from background
  int held_count = 0;
  int max_held;
};

GeneratedTransaction TransactionGenerator::Impl::next() {
  std::int64_t slot = next_slot++;
  std::int64_t ts = options.start_ms + slot * options.gap_ms;
  std::string id = fmt::format("tx-{:010}", slot + 1);
  std::optional<GeneratedTransaction> out;
  if (auto it = planned.find(slot); it != planned.end()) {
    int plant_id = it->second;
    planned.erase(it);
    out = emit_step(plant_id, id, ts);
  } else if (rng.chance(options.suspicious)) {
    out = start_plant(slot, id, ts);
  }
  if (!out) out = background(id, ts);
  ++stats.transactions;
  return std::move(*out);
}

std::vector<Pattern> TransactionGenerator::Impl::feasible_patterns(std::int64_t ts) const {
  std::vector<Pattern> out = {Pattern::blacklisted_device, Pattern::blacklisted_counterparty};
  if (in_night_hours(ts)) out.push_back(Pattern::night_transfer);
  if (is_daytime(ts)) {
    out.push_back(Pattern::large_amount);
    out.push_back(Pattern::first_time_payee);
  }
  if (held_count < max_held) {
    if (4 * options.gap_ms < rules::kVelocityWindowMs) out.push_back(Pattern::card_velocity);
    if (options.gap_ms <= kTravelMaxGapMs) out.push_back(Pattern::impossible_travel);
    if (is_daytime(ts)) out.push_back(Pattern::daily_cumulative);
  }
  return out;
}

std::optional<GeneratedTransaction> TransactionGenerator::Impl::start_plant(std::int64_t slot,
                                                                            const std::string& id,
                                                                            std::int64_t ts) {
  std::vector<Pattern> feasible = feasible_patterns(ts);
  for (int attempt = 0; attempt < kPlantAttempts; ++attempt) {
    Pattern pattern = rng.pick(feasible);
    for (int a = 0; a < kPlantAccountAttempts; ++a) {
      auto account = static_cast<int>(rng.below(population.size()));
      if (held[static_cast<std::size_t>(account)]) continue;
      std::optional<Plant> p = plan(pattern, account, slot, ts);
      if (!p) continue;
      int plant_id = next_plant_id++;
      for (std::size_t k = 1; k < p->slots.size(); ++k) planned[p->slots[k]] = plant_id;
      if (p->multi_step()) {
        held[static_cast<std::size_t>(account)] = true;
        ++held_count;
      }
      plants.emplace(plant_id, std::move(*p));
      if (auto out = emit_step(plant_id, id, ts)) return out;
    }
  }
  return std::nullopt;
}

std::int64_t TransactionGenerator::Impl::free_slot_from(std::int64_t slot) const {
  while (planned.contains(slot)) ++slot;
  return slot;
}

// Places steps 2..n after the first, each min_gap..max_gap of event time after the previous (at
// least one slot), on slots no other pattern holds.
void TransactionGenerator::Impl::plan_steps(Plant& p, int steps, std::int64_t min_gap_ms,
                                            std::int64_t max_gap_ms) {
  for (int k = 1; k < steps; ++k) {
    std::int64_t gap = rng.between(min_gap_ms, max_gap_ms);
    std::int64_t slots_later =
        std::max<std::int64_t>(1, (gap + options.gap_ms - 1) / options.gap_ms);
    p.slots.push_back(free_slot_from(p.slots.back() + slots_later));
  }
}

std::optional<Plant> TransactionGenerator::Impl::plan(Pattern pattern, int account,
                                                      std::int64_t slot, std::int64_t ts) {
  const Account& a = population[static_cast<std::size_t>(account)];
  const City& home = cities()[static_cast<std::size_t>(a.home_city)];
  Plant p;
  p.pattern = pattern;
  p.account = account;
  p.slots = {slot};
  auto span_ms = [&] { return (p.slots.back() - p.slots.front()) * options.gap_ms; };
  switch (pattern) {
    case Pattern::large_amount:
      p.card = rng.pick(a.cards);
      if (model.card_count(p.card, ts) + 1 >= rules::kVelocityCount) return std::nullopt;
      return p;
    case Pattern::card_velocity:
      // A card at rest (nothing in the window) gets exactly kVelocityCount within 60 s.
      p.card = rng.pick(a.cards);
      if (model.card_count(p.card, ts) != 0 || !model.card_last_at(p.card, home.lat, home.lon))
        return std::nullopt;
      plan_steps(p, rules::kVelocityCount, 2'000, 11'000);
      if (span_ms() >= rules::kVelocityWindowMs) return std::nullopt;
      return p;
    case Pattern::daily_cumulative: {
      // Four card payments, each below the large-amount threshold and more than a velocity
      // window apart, all in daytime and within 24 h: the fourth takes the sum past the limit.
      if (model.window_sum(a.id, ts) > kBackgroundDailyBudgetMinor) return std::nullopt;
      std::int64_t min_gap = rules::kVelocityWindowMs + 1'000;
      std::int64_t max_gap = std::max(min_gap, std::min(70 * kMinuteMs, 1000 * options.gap_ms));
      plan_steps(p, 4, std::min(20 * kMinuteMs, max_gap), max_gap);
      if (span_ms() >= rules::kCumulativeWindowMs) return std::nullopt;
      for (std::int64_t s : p.slots)
        if (!is_daytime(options.start_ms + s * options.gap_ms)) return std::nullopt;
      p.target_minor = rng.between(36'000, 46'000) * 100;
      return p;
    }
    case Pattern::night_transfer:
      if (!paid_payee(a)) return std::nullopt;
      return p;
    case Pattern::impossible_travel: {
      p.card = rng.pick(a.cards);
      if (model.card_count(p.card, ts) + 2 >= rules::kVelocityCount ||
          !model.card_last_at(p.card, home.lat, home.lon))
        return std::nullopt;
      std::vector<int> far;
      for (std::size_t c = 0; c < cities().size(); ++c)
        if (distance_km(home.lat, home.lon, cities()[c].lat, cities()[c].lon) > kFarCityMinKm)
          far.push_back(static_cast<int>(c));
      if (far.empty()) return std::nullopt;
      p.far_city = rng.pick(far);
      plan_steps(p, 2, 3 * kMinuteMs, 25 * kMinuteMs);
      if (span_ms() > kTravelMaxGapMs) return std::nullopt;
      return p;
    }
    case Pattern::blacklisted_device:
    case Pattern::blacklisted_counterparty:
    case Pattern::first_time_payee:
      return p;
  }
  return std::nullopt;
}

std::optional<GeneratedTransaction> TransactionGenerator::Impl::emit_step(int plant_id,
                                                                          const std::string& id,
                                                                          std::int64_t ts) {
  Plant& p = plants.at(plant_id);
  std::optional<Transaction> t = build_step(p, id, ts);
  std::vector<std::string_view> expected;
  if (p.last_step()) expected.push_back(rule_of(p.pattern));
  if (!t || model.evaluate(*t) != expected) {
    end_plant(plant_id, false);
    return std::nullopt;
  }
  model.record(*t);
  GeneratedTransaction out{std::move(*t), {}};
  if (p.last_step()) {
    out.expected_alerts.push_back({std::string(rule_of(p.pattern))});
    end_plant(plant_id, true);
  } else {
    ++p.next_step;
  }
  return out;
}

void TransactionGenerator::Impl::end_plant(int plant_id, bool completed) {
  Plant& p = plants.at(plant_id);
  for (std::size_t k = p.next_step + 1; k < p.slots.size(); ++k) planned.erase(p.slots[k]);
  if (p.multi_step()) {
    held[static_cast<std::size_t>(p.account)] = false;
    --held_count;
  }
  if (completed) {
    ++stats.planted;
    ++stats.planted_by_rule[std::string(rule_of(p.pattern))];
  } else if (p.next_step > 0) {
    ++stats.abandoned;
  }
  plants.erase(plant_id);
}

Transaction TransactionGenerator::Impl::base(const Account& a, const std::string& id,
                                             std::int64_t ts) const {
  const City& home = cities()[static_cast<std::size_t>(a.home_city)];
  Transaction t;
  t.id = id;
  t.account = a.id;
  t.customer = a.customer;
  t.currency = kCurrency;
  t.city = home.name;
  t.lat = home.lat;
  t.lon = home.lon;
  t.ts_ms = ts;
  return t;
}

std::optional<std::string> TransactionGenerator::Impl::paid_payee(const Account& a) {
  std::size_t start = rng.below(a.payees.size());
  for (std::size_t k = 0; k < a.payees.size(); ++k) {
    const std::string& payee = a.payees[(start + k) % a.payees.size()];
    if (model.has_paid(a.id, payee)) return payee;
  }
  return std::nullopt;
}

std::optional<Transaction> TransactionGenerator::Impl::build_step(const Plant& p,
                                                                  const std::string& id,
                                                                  std::int64_t ts) {
  std::optional<Transaction> t = draw_step(p, id, ts);
  if (t && p.pattern != Pattern::daily_cumulative &&
      t->amount_minor > room(population[static_cast<std::size_t>(p.account)], ts))
    return std::nullopt;
  return t;
}

std::optional<Transaction> TransactionGenerator::Impl::draw_step(const Plant& p,
                                                                 const std::string& id,
                                                                 std::int64_t ts) {
  const Account& a = population[static_cast<std::size_t>(p.account)];
  Transaction t = base(a, id, ts);
  auto card_payment = [&](std::string_view card, std::string merchant, std::int64_t lo,
                          std::int64_t hi) {
    t.channel = Channel::pos;
    t.card = card;
    t.counterparty = std::move(merchant);
    t.amount_minor = rng.between(lo, hi);
  };
  auto usual_merchant = [&] { return rng.pick(a.merchants); };
  auto transfer_to = [&](std::string counterparty, std::int64_t lo, std::int64_t hi) {
    t.channel = rng.chance(0.5) ? Channel::online : Channel::mobile;
    t.device = device(a);
    t.counterparty = std::move(counterparty);
    t.amount_minor = rng.between(lo, hi);
  };
  switch (p.pattern) {
    case Pattern::large_amount: {
      std::int64_t hi = std::min<std::int64_t>(29'999'99, room(a, ts));
      if (hi < rules::kLargeAmountMinor) return std::nullopt;
      card_payment(p.card, usual_merchant(), rules::kLargeAmountMinor, hi);
      return t;
    }
    case Pattern::card_velocity:
      card_payment(p.card, city_merchant(a.home_city, rng.between(1, kMerchantsPerCity)), 3'00,
                   60'00);
      return t;
    case Pattern::daily_cumulative: {
      std::int64_t sum = model.window_sum(a.id, ts);
      std::int64_t amount = 0;
      if (p.next_step < 3) {
        // Climb evenly to the target, whatever left the window meanwhile.
        amount = (p.target_minor - sum) / static_cast<std::int64_t>(3 - p.next_step) / 100 * 100;
        if (amount < 1000'00 || amount > 19'000'00) return std::nullopt;
      } else {
        std::int64_t needed = rules::kCumulativeLimitMinor - sum;
        if (needed <= 0 || needed > 19'000'00) return std::nullopt;
        amount = rng.between(std::max<std::int64_t>(needed, 1000'00), rules::kLargeAmountMinor - 1);
      }
      card_payment(a.cards[p.next_step % a.cards.size()], usual_merchant(), amount, amount);
      return t;
    }
    case Pattern::night_transfer: {
      std::optional<std::string> payee = paid_payee(a);
      std::int64_t hi = std::min<std::int64_t>(15'000'00, room(a, ts));
      if (!payee || hi < rules::kNightTransferMinor) return std::nullopt;
      transfer_to(*payee, rules::kNightTransferMinor, hi);
      return t;
    }
    case Pattern::impossible_travel: {
      if (p.next_step == 0) {
        card_payment(p.card, usual_merchant(), 3'00, 80'00);
        return t;
      }
      const City& far = cities()[static_cast<std::size_t>(p.far_city)];
      card_payment(p.card, city_merchant(p.far_city, rng.between(1, kMerchantsPerCity)), 5'00,
                   300'00);
      t.city = far.name;
      t.lat = far.lat;
      t.lon = far.lon;
      return t;
    }
    case Pattern::blacklisted_device: {
      // Any amount will do for a list, so a full account takes a small one.
      std::int64_t hi = std::min<std::int64_t>(2'500'00, room(a, ts));
      if (hi < 1) return std::nullopt;
      transfer_to(rng.pick(a.payees), std::min<std::int64_t>(20'00, hi), hi);
      t.device = rules::kBlacklistedDevices[rng.below(rules::kBlacklistedDevices.size())];
      return t;
    }
    case Pattern::blacklisted_counterparty: {
      std::int64_t hi = std::min<std::int64_t>(rules::kFirstTimePayeeMinor - 1, room(a, ts));
      if (hi < 1) return std::nullopt;
      transfer_to(std::string(rules::kBlacklistedCounterparties[rng.below(
                      rules::kBlacklistedCounterparties.size())]),
                  std::min<std::int64_t>(100'00, hi), hi);
      return t;
    }
    case Pattern::first_time_payee: {
      std::int64_t hi = std::min<std::int64_t>(12'000'00, room(a, ts));
      if (hi < rules::kFirstTimePayeeMinor) return std::nullopt;
      transfer_to(fmt::format("acct-new-{:08}", next_new_payee++), rules::kFirstTimePayeeMinor, hi);
      return t;
    }
  }
  return std::nullopt;
}

GeneratedTransaction TransactionGenerator::Impl::background(const std::string& id,
                                                            std::int64_t ts) {
  std::string last_refusal = "every account is held by a pattern or has spent its daily budget";
  for (int attempt = 0; attempt < kBackgroundAttempts; ++attempt) {
    auto account = static_cast<int>(rng.below(population.size()));
    if (held[static_cast<std::size_t>(account)]) continue;
    auto t = background_candidate(account, id, ts, attempt >= kBackgroundAttempts / 2);
    if (!t) continue;
    std::vector<std::string_view> raised = model.evaluate(*t);
    if (raised.empty()) {
      model.record(*t);
      return {std::move(*t), {}};
    }
    last_refusal =
        fmt::format("the last try would raise {}: {}", fmt::join(raised, ", "), to_json(*t));
  }
  throw std::runtime_error(fmt::format(
      "event generator: no background transaction fits at {} without raising an alert ({}); use "
      "more accounts or a larger gap",
      format_timestamp(ts), last_refusal));
}

// Everyday traffic of one customer: card payments at home, cash, web shops, transfers to the
// usual payees, the odd counter visit. `plain` asks for the safest kind, a small transfer.
std::optional<Transaction> TransactionGenerator::Impl::background_candidate(int account,
                                                                            const std::string& id,
                                                                            std::int64_t ts,
                                                                            bool plain) {
  const Account& a = population[static_cast<std::size_t>(account)];
  std::optional<std::int64_t> cap = background_cap(a, ts, plain);
  if (!cap) return std::nullopt;
  Transaction t = base(a, id, ts);
  std::uint64_t kind = plain ? 100 : rng.below(100);
  if (kind < 58) {
    card_purchase(a, t);
  } else if (kind < 66) {
    t.channel = Channel::atm;
    t.counterparty = city_atm(a.home_city, rng.between(1, kAtmsPerCity));
    t.amount_minor = scaled(10.0 * static_cast<double>(rng.between(2, 50)));
    if (!pick_background_card(a, t)) transfer(a, t, false);
  } else if (kind < 71) {
    t.channel = Channel::counter;
    t.counterparty = city_branch(a.home_city, rng.between(1, kBranchesPerCity));
    t.amount_minor = scaled(rng.log_uniform(50, 2500));
  } else {
    transfer(a, t, plain);
  }
  // Online and mobile payments stay clear of first-time-payee and night-transfer.
  if (t.channel == Channel::online || t.channel == Channel::mobile) {
    if (!model.has_paid(a.id, t.counterparty))
      t.amount_minor = std::min(t.amount_minor, rules::kFirstTimePayeeMinor - 1);
    if (in_night_hours(ts))
      t.amount_minor = std::min(t.amount_minor, rules::kNightTransferMinor - 1);
  }
  t.amount_minor = std::min(t.amount_minor, *cap);
  return t;
}

// The most background may add to the account now: what is left of the daily budget; past it
// (patterns took the room), only when no other account can take the transaction, and then
// only what keeps the 24 h sum from crossing the limit.
std::optional<std::int64_t> TransactionGenerator::Impl::background_cap(const Account& a,
                                                                       std::int64_t ts,
                                                                       bool plain) const {
  std::int64_t sum = model.window_sum(a.id, ts);
  std::int64_t cap = 0;
  if (sum < kBackgroundDailyBudgetMinor) {
    cap = kBackgroundDailyBudgetMinor - sum;
  } else if (!plain) {
    return std::nullopt;
  } else if (sum < rules::kCumulativeLimitMinor) {
    cap = rules::kCumulativeLimitMinor - 1 - sum;
  } else {
    cap = rules::kLargeAmountMinor - 1;  // a sum already past the limit cannot cross it
  }
  if (cap < 1) return std::nullopt;
  return cap;
}

void TransactionGenerator::Impl::card_purchase(const Account& a, Transaction& t) {
  if (rng.chance(0.8)) {
    t.channel = Channel::pos;
    t.counterparty = rng.chance(0.75)
                         ? rng.pick(a.merchants)
                         : city_merchant(a.home_city, rng.between(1, kMerchantsPerCity));
    t.amount_minor =
        scaled(rng.chance(0.85) ? rng.log_uniform(2, 120) : rng.log_uniform(120, 1500));
  } else {
    t.channel = Channel::online;
    t.device = device(a);
    t.counterparty = web_shop(rng.between(1, kWebShops));
    t.amount_minor = scaled(rng.log_uniform(5, 400));
  }
  if (!pick_background_card(a, t)) transfer(a, t, false);
}

// A card of the account that has been used at most once within the velocity window.
bool TransactionGenerator::Impl::pick_background_card(const Account& a, Transaction& t) {
  std::size_t start = rng.below(a.cards.size());
  for (std::size_t k = 0; k < a.cards.size(); ++k) {
    const std::string& card = a.cards[(start + k) % a.cards.size()];
    if (model.card_count(card, t.ts_ms) <= kBackgroundCardUsesPerWindow) {
      t.card = card;
      return true;
    }
  }
  return false;
}

void TransactionGenerator::Impl::transfer(const Account& a, Transaction& t, bool plain) {
  t.channel = rng.chance(0.5) ? Channel::online : Channel::mobile;
  t.card.clear();
  t.device = device(a);
  t.counterparty = plain || rng.chance(0.9)
                       ? rng.pick(a.payees)
                       : fmt::format("acct-ext-{:06}", rng.between(1, 999'999));
  double major =
      plain || rng.chance(0.85) ? rng.log_uniform(10, 1500) : rng.log_uniform(1500, 8000);
  t.amount_minor = scaled(major);
}

TransactionGenerator::TransactionGenerator(const GeneratorOptions& options) {
  if (std::string error = validate(options); !error.empty()) throw std::invalid_argument(error);
  impl_ = std::make_unique<Impl>(options);
}

TransactionGenerator::~TransactionGenerator() = default;

GeneratedTransaction TransactionGenerator::next() {
  return impl_->next();
}

const TransactionGenerator::Stats& TransactionGenerator::stats() const {
  return impl_->stats;
}

}  // namespace gale::events
