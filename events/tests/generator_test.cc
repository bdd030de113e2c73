// The generator: deterministic for a seed, and its planted patterns raise exactly the alerts it
// promises: a plain brute-force evaluation of risk-alert's eight default rules, written here
// without the generator's code, finds exactly the expected alerts, no more and no fewer.
#include "gale/events/generator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <numbers>
#include <set>

#include "gale/events/default_rules.h"
#include "gale/events/events.h"

namespace gale::events {
namespace {

// ---- the oracle ---------------------------------------------------------------------------
// topologies/risk-alert/rules/default.yaml, rule by rule, over the whole history: O(n^2).

struct Alert {
  std::string rule;
  std::string transaction;
  auto operator<=>(const Alert&) const = default;
};

double haversine_km(double lat1, double lon1, double lat2, double lon2) {
  auto rad = [](double d) { return d * std::numbers::pi / 180; };
  double a =
      std::pow(std::sin(rad(lat2 - lat1) / 2), 2) +
      std::cos(rad(lat1)) * std::cos(rad(lat2)) * std::pow(std::sin(rad(lon2 - lon1) / 2), 2);
  return 2 * 6371.0 * std::asin(std::sqrt(a));
}

bool online_or_mobile(const Transaction& t) {
  return t.channel == Channel::online || t.channel == Channel::mobile;
}

// Strings as small numbers, so that the O(n^2) scan compares integers (the test runs unoptimised).
std::vector<int> numbered(const std::vector<Transaction>& txs, std::string Transaction::*field) {
  std::map<std::string, int> numbers = {{"", -1}};
  std::vector<int> out;
  for (const Transaction& t : txs)
    out.push_back(numbers.try_emplace(t.*field, numbers.size()).first->second);
  return out;
}

std::set<Alert> brute_force_alerts(const std::vector<Transaction>& txs) {
  const std::int64_t minute = 60'000, hour = 60 * minute, day = 24 * hour;
  const std::vector<int> card = numbered(txs, &Transaction::card);  // -1: no card
  const std::vector<int> account = numbered(txs, &Transaction::account);
  const std::vector<int> counterparty = numbered(txs, &Transaction::counterparty);
  std::set<Alert> alerts;
  for (std::size_t j = 0; j < txs.size(); ++j) {
    const Transaction& t = txs[j];
    auto raise = [&](const char* rule) { alerts.insert({rule, t.id}); };
    int on_card_in_60s = 1;  // t itself
    std::int64_t account_sum_before = 0;
    bool paid_before = false;
    const Transaction* previous_on_card = nullptr;
    for (std::size_t i = 0; i < j; ++i) {  // everything earlier in (ts, id) order
      const Transaction& e = txs[i];
      if (card[j] >= 0 && card[i] == card[j]) {
        if (e.ts_ms > t.ts_ms - minute) ++on_card_in_60s;
        previous_on_card = &e;
      }
      if (account[i] == account[j]) {
        if (e.ts_ms > t.ts_ms - day) account_sum_before += e.amount_minor;
        if (counterparty[i] == counterparty[j]) paid_before = true;
      }
    }
    // large-amount: tx.amount >= 20000
    if (t.amount_minor >= 20000'00) raise("large-amount");
    // card-velocity: the 5th transaction of the card within 60 s
    if (!t.card.empty() && on_card_in_60s == 5) raise("card-velocity");
    // daily-cumulative: the account's 24 h sum crosses 50000 with this transaction
    if (account_sum_before < 50000'00 && account_sum_before + t.amount_minor >= 50000'00)
      raise("daily-cumulative");
    // night-transfer: 00:00-05:00 UTC, online or mobile, tx.amount >= 5000
    std::int64_t hour_of_day = t.ts_ms % day / hour;
    if (hour_of_day < 5 && t.amount_minor >= 5000'00 && online_or_mobile(t))
      raise("night-transfer");
    // impossible-travel: faster than 900 km/h since the card's previous transaction
    if (previous_on_card) {
      double km = haversine_km(previous_on_card->lat, previous_on_card->lon, t.lat, t.lon);
      double hours = static_cast<double>(t.ts_ms - previous_on_card->ts_ms) / hour;
      if (km > 0 && (hours <= 0 || km / hours > 900)) raise("impossible-travel");
    }
    // blacklisted-device, blacklisted-counterparty
    if (t.device == "dev-blk-0001" || t.device == "dev-blk-0002" || t.device == "dev-blk-0003")
      raise("blacklisted-device");
    if (t.counterparty == "acct-mule-0001" || t.counterparty == "acct-mule-0002")
      raise("blacklisted-counterparty");
    // first-time-payee: online or mobile, tx.amount >= 3000, a counterparty never paid before
    if (online_or_mobile(t) && t.amount_minor >= 3000'00 && !paid_before) raise("first-time-payee");
  }
  return alerts;
}

// ---- helpers ------------------------------------------------------------------------------

struct Stream {
  std::vector<Transaction> transactions;
  std::set<Alert> expected;
  std::map<std::string, int> expected_by_rule;
  TransactionGenerator::Stats stats;
};

Stream generate(const GeneratorOptions& options, int count) {
  Stream s;
  TransactionGenerator generator(options);
  for (int i = 0; i < count; ++i) {
    GeneratedTransaction g = generator.next();
    EXPECT_LE(g.expected_alerts.size(), 1u);
    for (const ExpectedAlert& a : g.expected_alerts) {
      s.expected.insert({a.rule_id, g.transaction.id});
      ++s.expected_by_rule[a.rule_id];
    }
    s.transactions.push_back(std::move(g.transaction));
  }
  s.stats = generator.stats();
  return s;
}

std::string describe(const std::set<Alert>& alerts) {
  std::string out;
  int shown = 0;
  for (const Alert& a : alerts) {
    if (++shown > 10) return out + " ...";
    out += fmt::format(" {}@{}", a.rule, a.transaction);
  }
  return out;
}

// ---- the oracle test ----------------------------------------------------------------------

struct OracleCase {
  const char* name;
  GeneratorOptions options;
  int count;
  int min_alerts;           // planting may fall short of the suspicious share, but not below this
  bool every_rule = false;  // every default rule planted at least 20 times, few given up
};

void PrintTo(const OracleCase& c, std::ostream* os) {
  *os << c.name;
}

class OracleTest : public ::testing::TestWithParam<OracleCase> {};

TEST_P(OracleTest, BruteForceRulesFindExactlyTheExpectedAlerts) {
  const OracleCase& c = GetParam();
  Stream s = generate(c.options, c.count);
  for (std::size_t i = 1; i < s.transactions.size(); ++i)
    ASSERT_LT(s.transactions[i - 1].ts_ms, s.transactions[i].ts_ms) << "not in event-time order";

  std::set<Alert> found = brute_force_alerts(s.transactions);
  std::set<Alert> missing, unexpected;
  std::set_difference(s.expected.begin(), s.expected.end(), found.begin(), found.end(),
                      std::inserter(missing, missing.end()));
  std::set_difference(found.begin(), found.end(), s.expected.begin(), s.expected.end(),
                      std::inserter(unexpected, unexpected.end()));
  EXPECT_TRUE(missing.empty()) << missing.size()
                               << " expected but not raised:" << describe(missing);
  EXPECT_TRUE(unexpected.empty()) << unexpected.size()
                                  << " raised but not expected:" << describe(unexpected);
  EXPECT_EQ(s.stats.planted, static_cast<std::int64_t>(s.expected.size()));
  EXPECT_GE(static_cast<int>(s.expected.size()), c.min_alerts);
  if (!c.every_rule) return;
  for (std::string_view rule : default_rules::kRuleIds)
    EXPECT_GE(s.expected_by_rule[std::string(rule)], 20) << rule;
  EXPECT_LE(s.stats.abandoned, s.stats.planted / 50) << "patterns given up midway";
}

INSTANTIATE_TEST_SUITE_P(
    Streams, OracleTest,
    ::testing::Values(
        // A day of a thousand accounts, 5% suspicious: every rule gets planted.
        OracleCase{"day", {.seed = 1, .accounts = 1000, .suspicious = 0.05}, 20000, 900, true},
        // Few accounts and dense event time: amounts shrink, cards run out, patterns crowd.
        OracleCase{
            "dense", {.seed = 2, .accounts = 40, .suspicious = 0.2, .gap_ms = 10}, 8000, 400},
        // A minute between events, over four days: windows expire, velocity cannot be planted.
        OracleCase{
            "sparse", {.seed = 3, .accounts = 200, .suspicious = 0.1, .gap_ms = 60'000}, 6000, 500},
        // Three accounts: no account to spare for patterns of several steps.
        OracleCase{"tiny", {.seed = 4, .accounts = 3, .suspicious = 0.3, .gap_ms = 1000}, 4000, 30},
        // Only suspicious patterns asked for: as many as fit.
        OracleCase{
            "all", {.seed = 5, .accounts = 300, .suspicious = 1.0, .gap_ms = 2000}, 8000, 2000}),
    [](const ::testing::TestParamInfo<OracleCase>& info) { return std::string(info.param.name); });

TEST(GeneratorTest, BackgroundAloneRaisesNothing) {
  Stream s = generate({.seed = 9, .accounts = 500, .suspicious = 0}, 8000);
  EXPECT_TRUE(s.expected.empty());
  EXPECT_TRUE(brute_force_alerts(s.transactions).empty());
}

// ---- determinism --------------------------------------------------------------------------

std::string transaction_bytes(const GeneratorOptions& options, int count) {
  TransactionGenerator generator(options);
  std::string out;
  for (int i = 0; i < count; ++i) {
    GeneratedTransaction g = generator.next();
    out += to_json(g.transaction) + "\n";
    for (const ExpectedAlert& a : g.expected_alerts) out += manifest_line(a, g.transaction) + "\n";
  }
  return out;
}

TEST(GeneratorTest, SameSeedGivesTheSameBytes) {
  GeneratorOptions options{.seed = 42, .accounts = 300, .suspicious = 0.1};
  EXPECT_EQ(transaction_bytes(options, 3000), transaction_bytes(options, 3000));
  GeneratorOptions other = options;
  other.seed = 43;
  EXPECT_NE(transaction_bytes(options, 3000), transaction_bytes(other, 3000));

  auto change_bytes = [](const GeneratorOptions& o) {
    AccountChangeGenerator generator(o);
    std::string out;
    for (int i = 0; i < 3000; ++i) out += to_json(generator.next()) + "\n";
    return out;
  };
  EXPECT_EQ(change_bytes(options), change_bytes(options));
  EXPECT_NE(change_bytes(options), change_bytes(other));
  auto profile_bytes = [](const GeneratorOptions& o) {
    std::string out;
    for (const CustomerProfile& p : customer_profiles(o)) out += to_json(p) + "\n";
    return out;
  };
  EXPECT_EQ(profile_bytes(options), profile_bytes(options));
  EXPECT_NE(profile_bytes(options), profile_bytes(other));
}

TEST(GeneratorTest, EventTimeStartsAtStartAndAdvancesByGap) {
  GeneratorOptions options{.seed = 1,
                           .accounts = 10,
                           .start_ms = *parse_timestamp("2027-01-01T09:00:00Z"),
                           .gap_ms = 250};
  TransactionGenerator generator(options);
  for (int i = 0; i < 100; ++i) {
    Transaction t = generator.next().transaction;
    EXPECT_EQ(t.ts_ms, options.start_ms + i * 250);
    EXPECT_EQ(t.id, fmt::format("tx-{:010}", i + 1));
  }
}

TEST(GeneratorTest, BadOptionsAreNamed) {
  EXPECT_EQ(validate({.accounts = 0}), "accounts: must be between 1 and 10000000");
  EXPECT_EQ(validate({.suspicious = 1.5}), "suspicious: must be between 0 and 1");
  EXPECT_EQ(validate({.suspicious = std::nan("")}), "suspicious: must be between 0 and 1");
  EXPECT_EQ(validate({.gap_ms = 0}), "gap_ms: must be between 1 and 86400000 (a day)");
  EXPECT_EQ(validate({.start_ms = -1}), "start_ms: must be between 1970-01-01 and 8900-01-01");
  EXPECT_EQ(validate({.start_ms = *parse_timestamp("8900-01-01T00:00:00Z")}), "");
  EXPECT_EQ(validate({}), "");
  EXPECT_THROW(TransactionGenerator({.accounts = -3}), std::invalid_argument);
}

// ---- account changes and profiles --------------------------------------------------------

TEST(AccountChangeGeneratorTest, PostsEveryTransactionWithConsistentBalances) {
  GeneratorOptions options{.seed = 8, .accounts = 100, .suspicious = 0.05};
  TransactionGenerator transactions(options);
  AccountChangeGenerator changes(options);
  std::map<std::string, std::int64_t> balance;
  std::set<std::string> event_ids;
  int credits = 0;
  for (int posted = 0; posted < 5000;) {
    AccountChange c = changes.next();
    EXPECT_TRUE(event_ids.insert(c.event_id).second) << "duplicate event id " << c.event_id;
    if (balance.contains(c.account)) {
      EXPECT_EQ(c.balance_before_minor, balance[c.account]) << c.event_id;
    }
    EXPECT_GT(c.amount_minor, 0);
    EXPECT_EQ(c.balance_after_minor,
              c.balance_before_minor + (c.kind == "credit" ? c.amount_minor : -c.amount_minor));
    balance[c.account] = c.balance_after_minor;
    EXPECT_EQ(c.customer, "cust-" + c.account.substr(5));
    auto back = parse_account_change(to_json(c));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back.value(), c);
    if (c.kind == "credit") {
      ++credits;
      continue;
    }
    ASSERT_EQ(c.kind, "debit");
    Transaction t = transactions.next().transaction;  // the same stream, in the same order
    EXPECT_EQ(c.transaction_id, t.id);
    EXPECT_EQ(c.account, t.account);
    EXPECT_EQ(c.amount_minor, t.amount_minor);
    EXPECT_EQ(c.ts_ms, t.ts_ms);
    ++posted;
  }
  EXPECT_GT(credits, 300);
}

TEST(CustomerProfilesTest, OneProfilePerAccountWithUsableFields) {
  std::vector<CustomerProfile> profiles = customer_profiles({.seed = 5, .accounts = 12000});
  ASSERT_EQ(profiles.size(), 12000u);
  EXPECT_EQ(profiles[0].customer, "cust-000001");
  EXPECT_EQ(profiles[41].phone, "+31612340041");
  EXPECT_EQ(profiles[11999].phone, "+31612351999");
  std::set<std::string> phones, languages;
  int opted_in = 0;
  for (const CustomerProfile& p : profiles) {
    phones.insert(p.phone);
    languages.insert(p.language);
    opted_in += p.opted_in;
    EXPECT_GT(p.notify_threshold_minor, 0);
    EXPECT_FALSE(p.name.empty());
    auto back = parse_customer_profile(to_json(p));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back.value(), p);
  }
  EXPECT_EQ(phones.size(), profiles.size());
  EXPECT_EQ(languages, (std::set<std::string>{"de", "en", "fr", "nl"}));
  EXPECT_GT(opted_in, 9000);
  EXPECT_LT(opted_in, 11500);
}

TEST(CustomerProfilesTest, TransactionsAreAboutTheProfiledCustomers) {
  GeneratorOptions options{.seed = 5, .accounts = 50};
  std::set<std::string> customers;
  for (const CustomerProfile& p : customer_profiles(options)) customers.insert(p.customer);
  TransactionGenerator generator(options);
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(customers.contains(generator.next().transaction.customer));
}

// ---- the rules file -----------------------------------------------------------------------

// default_rules.h and this test's oracle both transcribe risk-alert's default rules: if the file
// changes, both must follow.
TEST(DefaultRulesTest, ConstantsMatchRiskAlertsDefaultRulesFile) {
  namespace r = default_rules;
  YAML::Node file = YAML::LoadFile(GALE_RISK_DEFAULT_RULES);
  std::vector<std::string> ids;
  std::map<std::string, YAML::Node> rule;
  for (const YAML::Node& n : file["rules"]) {
    ids.push_back(n["id"].as<std::string>());
    rule[ids.back()] = n;
  }
  EXPECT_EQ(ids, std::vector<std::string>(r::kRuleIds.begin(), r::kRuleIds.end()));
  auto text = [&](std::string_view id, const char* key) {
    return rule[std::string(id)][key].as<std::string>();
  };
  const std::string online_or_mobile = "(tx.channel == 'online' or tx.channel == 'mobile')";

  EXPECT_EQ(text(r::kLargeAmount, "kind"), "threshold");
  EXPECT_EQ(text(r::kLargeAmount, "when"),
            fmt::format("tx.amount >= {}", r::kLargeAmountMinor / 100));

  EXPECT_EQ(text(r::kCardVelocity, "kind"), "velocity");
  EXPECT_EQ(text(r::kCardVelocity, "key"), "card");
  EXPECT_EQ(text(r::kCardVelocity, "window"), fmt::format("{}s", r::kVelocityWindowMs / 1000));
  EXPECT_EQ(text(r::kCardVelocity, "count"), std::to_string(r::kVelocityCount));

  EXPECT_EQ(text(r::kDailyCumulative, "kind"), "cumulative");
  EXPECT_EQ(text(r::kDailyCumulative, "key"), "account");
  EXPECT_EQ(text(r::kDailyCumulative, "window"),
            fmt::format("{}h", r::kCumulativeWindowMs / 3'600'000));
  EXPECT_EQ(text(r::kDailyCumulative, "limit"), std::to_string(r::kCumulativeLimitMinor / 100));

  EXPECT_EQ(text(r::kNightTransfer, "kind"), "time_of_day");
  EXPECT_EQ(text(r::kNightTransfer, "from"), fmt::format("{:02}:00", r::kNightFromHour));
  EXPECT_EQ(text(r::kNightTransfer, "to"), fmt::format("{:02}:00", r::kNightToHour));
  EXPECT_EQ(text(r::kNightTransfer, "when"),
            fmt::format("tx.amount >= {} and {}", r::kNightTransferMinor / 100, online_or_mobile));

  EXPECT_EQ(text(r::kImpossibleTravel, "kind"), "impossible_travel");
  EXPECT_EQ(text(r::kImpossibleTravel, "key"), "card");
  EXPECT_EQ(rule[std::string(r::kImpossibleTravel)]["max_speed_kmh"].as<double>(), r::kMaxSpeedKmh);

  EXPECT_EQ(text(r::kBlacklistedDevice, "kind"), "list");
  EXPECT_EQ(text(r::kBlacklistedDevice, "field"), "device");
  EXPECT_EQ(file["lists"][text(r::kBlacklistedDevice, "list")].as<std::vector<std::string>>(),
            std::vector<std::string>(r::kBlacklistedDevices.begin(), r::kBlacklistedDevices.end()));
  EXPECT_EQ(text(r::kBlacklistedCounterparty, "kind"), "list");
  EXPECT_EQ(text(r::kBlacklistedCounterparty, "field"), "counterparty");
  EXPECT_EQ(file["lists"][text(r::kBlacklistedCounterparty, "list")].as<std::vector<std::string>>(),
            std::vector<std::string>(r::kBlacklistedCounterparties.begin(),
                                     r::kBlacklistedCounterparties.end()));

  EXPECT_EQ(text(r::kFirstTimePayee, "kind"), "first_time_payee");
  EXPECT_EQ(text(r::kFirstTimePayee, "when"),
            fmt::format("tx.amount >= {} and {}", r::kFirstTimePayeeMinor / 100, online_or_mobile));
}

}  // namespace
}  // namespace gale::events
