#pragma once
// The accounts a generator's events are about, decided by (seed, accounts) alone, so that the
// transactions, the account changes and the profiles of one seed describe the same people.
#include <cstdint>
#include <string>
#include <vector>

#include "gale/events/events.h"

namespace gale::events {

struct Account {
  std::string id;                      // "acct-000042"
  std::string customer;                // "cust-000042"
  int home_city = 0;                   // index into cities(); it never changes
  std::vector<std::string> cards;      // 1-2
  std::vector<std::string> devices;    // 1-3
  std::vector<std::string> merchants;  // shops in the home city the customer usually pays
  std::vector<std::string> payees;     // accounts the customer usually transfers to
  std::int64_t opening_balance_minor = 0;
  CustomerProfile profile;
};

std::vector<Account> make_population(std::uint64_t seed, int accounts);

// Merchant, ATM and branch ids of a city, and web shops (ids "merch-ams-0042", "atm-ams-07",
// "branch-ams-2", "shop-0042").
std::string city_merchant(int city, std::int64_t n);
std::string city_atm(int city, std::int64_t n);
std::string city_branch(int city, std::int64_t n);
std::string web_shop(std::int64_t n);
inline constexpr int kMerchantsPerCity = 300;
inline constexpr int kAtmsPerCity = 40;
inline constexpr int kBranchesPerCity = 3;
inline constexpr int kWebShops = 200;

}  // namespace gale::events
