// gale-gen's core banking log (events/core_banking.h), in each connector's format, decoded and
// applied with redeliveries recognised, leaves exactly the manifest's balances: per account and
// per institution and currency. Checks the generator and the decoder against each other.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "gale/cdc/change.h"
#include "gale/events/core_banking.h"
#include "gale/events/events.h"

namespace gale::cdc {
namespace {

struct Balances {
  std::map<std::string, std::string> branch_institution;
  struct Account {
    std::string branch, currency;
    std::int64_t minor = 0;
  };
  std::map<std::string, Account> accounts;
  std::int64_t applied = 0;
  std::int64_t redelivered = 0;

  void apply(const Change& c) {
    const Row& row = c.op == Operation::remove ? c.before : c.after;
    const std::string id = find(row, "id")->text;
    if (c.table == "branches") branch_institution[id] = find(row, "institution_id")->text;
    if (c.table != "accounts") return;
    if (c.op == Operation::remove) {
      accounts.erase(id);
      return;
    }
    auto minor = events::parse_amount(find(row, "balance")->text);
    ASSERT_TRUE(minor.has_value()) << "balance " << find(row, "balance")->text;
    accounts[id] = {find(row, "branch_id")->text, find(row, "currency")->text, *minor};
  }
};

class GeneratedStream : public ::testing::TestWithParam<std::pair<events::CdcFormat, Format>> {};

TEST_P(GeneratedStream, DecodedWithRedeliveriesRecognisedGivesTheManifestsBalances) {
  events::CoreBankingOptions options;
  options.seed = 7;
  options.accounts = 150;
  options.duplicates = 0.05;
  events::CoreBankingGenerator generator(options, GetParam().first);
  Deduplicator seen;
  Balances balances;
  for (int i = 0; i < 5000; ++i) {
    events::CdcRecord record = generator.next();
    auto changes = decode(GetParam().second, record.key, record.value);
    ASSERT_TRUE(changes.ok()) << changes.error().message << "\n" << record.value;
    for (const Change& c : changes.value()) {
      if (!seen.admit(c)) {
        ++balances.redelivered;
        continue;
      }
      ++balances.applied;
      balances.apply(c);
    }
  }
  const events::CoreBankingManifest manifest = generator.manifest();
  EXPECT_GT(manifest.duplicates, 100);
  EXPECT_EQ(balances.redelivered, manifest.duplicates) << "every redelivery, and only those";
  std::map<std::string, std::int64_t> accounts;
  std::map<std::string, std::map<std::string, std::int64_t>> institutions;
  for (const auto& [id, a] : balances.accounts) {
    accounts[id] = a.minor;
    institutions[balances.branch_institution.at(a.branch)][a.currency] += a.minor;
  }
  EXPECT_EQ(accounts, manifest.accounts);
  EXPECT_EQ(institutions, manifest.institutions);
  EXPECT_GT(accounts.size(), 100u);
}

INSTANTIATE_TEST_SUITE_P(Formats, GeneratedStream,
                         ::testing::Values(std::pair{events::CdcFormat::debezium, Format::debezium},
                                           std::pair{events::CdcFormat::canal, Format::canal},
                                           std::pair{events::CdcFormat::maxwell, Format::maxwell}),
                         [](const auto& info) {
                           return std::string(to_string(info.param.second));
                         });

}  // namespace
}  // namespace gale::cdc
