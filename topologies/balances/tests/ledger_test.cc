// The balances model: positions that sort as text, a change as an account's state, exact
// decimals, and the reconciliation giving exactly gale-gen's manifest for every format.
#include "gale/balances/ledger.h"

#include <gtest/gtest.h>

#include "gale/events/core_banking.h"

namespace gale::balances {
namespace {

cdc::Change account_change(cdc::Operation op, const std::string& balance, std::uint64_t offset) {
  cdc::Change c;
  c.database = "core";
  c.table = "accounts";
  c.op = op;
  cdc::Row row = {{"id", {cdc::Field::Kind::string, "acct-1"}},
                  {"branch_id", {cdc::Field::Kind::string, "br-01-01"}},
                  {"currency", {cdc::Field::Kind::string, "CNY"}},
                  {"product", {cdc::Field::Kind::string, "savings"}},
                  {"balance", {cdc::Field::Kind::number, balance}}};
  (op == cdc::Operation::remove ? c.before : c.after) = row;
  c.position = {"binlog.000001", offset, 0, 0};
  c.commit_ms = 1000;
  return c;
}

TEST(LedgerTest, PositionsSortAsTextAsTheyDoAsNumbers) {
  cdc::SourcePosition a{"binlog.000001", 999, 0, 3}, b{"binlog.000001", 1000, 0, 0},
      c{"binlog.000002", 4, 0, 0};
  EXPECT_LT(position_text(a), position_text(b));
  EXPECT_LT(position_text(b), position_text(c));
  EXPECT_EQ(position_text(b),
            "binlog.000001|00000000000000001000|00000000000000000000|"
            "00000000000000000000");
}

TEST(LedgerTest, AChangeIsTheAccountsStateAndADeleteClosesIt) {
  auto open = account_of(account_change(cdc::Operation::insert, "1234.50", 10));
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_EQ(open.value().balance, "1234.50");
  EXPECT_TRUE(open.value().open);
  auto closed = account_of(account_change(cdc::Operation::remove, "0.00", 11));
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_FALSE(closed.value().open);
  EXPECT_EQ(closed.value().account_id, "acct-1");
}

TEST(LedgerTest, AnAccountWithoutABalanceOrWithANonDecimalOneIsNamed) {
  cdc::Change c = account_change(cdc::Operation::update, "12.5", 3);
  c.after.pop_back();
  auto missing = account_of(c);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "core.accounts: the row has no balance");
  auto bad = account_of(account_change(cdc::Operation::update, "12,50", 3));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "core.accounts: account acct-1 has balance \"12,50\", not a "
            "decimal with at most 6 fractional digits");
}

TEST(LedgerTest, DecimalsAreExact) {
  EXPECT_EQ(scaled("1234.5"), static_cast<__int128>(1'234'500'000));
  EXPECT_EQ(scaled("-0.000001"), static_cast<__int128>(-1));
  EXPECT_FALSE(scaled("0.0000001"));
  EXPECT_FALSE(scaled("1e5"));
  EXPECT_FALSE(scaled("."));
  EXPECT_EQ(decimal_text(*scaled("98765432109876543210.25") + *scaled("0.75")),
            "98765432109876543211");
  EXPECT_EQ(decimal_text(*scaled("-3.10")), "-3.1");
}

TEST(LedgerTest, AnOlderChangeNeverOverwritesANewerOneInTheReconciliation) {
  Reconciliation r;
  r.add(account_change(cdc::Operation::insert, "10.00", 5));
  r.add(account_change(cdc::Operation::update, "7.00", 9));
  r.add(account_change(cdc::Operation::update, "8.00", 7));  // redelivered late
  EXPECT_EQ(r.accounts().at("acct-1"), *scaled("7"));
  r.add(account_change(cdc::Operation::remove, "7.00", 12));
  EXPECT_TRUE(r.accounts().empty());
  r.add(account_change(cdc::Operation::insert, "0.01", 15));  // re-opened
  EXPECT_EQ(r.accounts().at("acct-1"), *scaled("0.01"));
  EXPECT_EQ(r.institutions().at("?").at("CNY"), *scaled("0.01")) << "its branch never seen";
}

class ReconciliationOfGeneratedLog : public ::testing::TestWithParam<cdc::Format> {};

TEST_P(ReconciliationOfGeneratedLog, GivesExactlyTheManifest) {
  events::CoreBankingOptions options;
  options.accounts = 150;
  options.duplicates = 0.05;
  auto format = static_cast<events::CdcFormat>(static_cast<int>(GetParam()));
  events::CoreBankingGenerator generator(options, format);
  Reconciliation r;
  for (int i = 0; i < 3000; ++i) {
    events::CdcRecord record = generator.next();
    auto changes = cdc::decode(GetParam(), record.key, record.value);
    ASSERT_TRUE(changes) << changes.error().message;
    for (const auto& c : changes.value()) r.add(c);
  }
  events::CoreBankingManifest manifest = generator.manifest();
  ASSERT_GT(manifest.duplicates, 0);
  EXPECT_EQ(r.malformed(), 0);
  ASSERT_EQ(r.accounts().size(), manifest.accounts.size());
  for (const auto& [id, cents] : manifest.accounts)
    ASSERT_EQ(r.accounts().at(id), static_cast<__int128>(cents) * 10'000) << id;
  auto institutions = r.institutions();
  for (const auto& [institution, currencies] : manifest.institutions)
    for (const auto& [currency, cents] : currencies)
      EXPECT_EQ(institutions[institution][currency], static_cast<__int128>(cents) * 10'000)
          << institution << " " << currency;
}

INSTANTIATE_TEST_SUITE_P(Formats, ReconciliationOfGeneratedLog,
                         ::testing::Values(cdc::Format::debezium, cdc::Format::canal,
                                           cdc::Format::maxwell),
                         [](const auto& info) { return std::string(cdc::to_string(info.param)); });

}  // namespace
}  // namespace gale::balances
