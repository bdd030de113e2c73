#include "population.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "geo.h"
#include "rng.h"

namespace gale::events {

namespace {

// Names by language, a few with accents so that the JSON round trip carries UTF-8.
struct Names {
  std::string_view language;
  std::array<std::string_view, 8> first;
  std::array<std::string_view, 8> last;
};

constexpr std::array<Names, 4> kNames = {{
    {"nl",
     {"Daan", "Sanne", "Lars", "Femke", "Bram", "Anouk", "Joost", "Maaike"},
     {"de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "de Boer", "Mulder"}},
    {"de",
     {"Jürgen", "Anna", "Lukas", "Lena", "Felix", "Marie", "Jonas", "Sophie"},
     {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"}},
    {"fr",
     {"Françoise", "Louis", "Camille", "Hugo", "Chloé", "Jules", "Léa", "Théo"},
     {"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Lefèvre"}},
    {"en",
     {"Oliver", "Emma", "Jack", "Olivia", "Harry", "Amelia", "George", "Isla"},
     {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "O'Brien", "Walsh"}},
}};

constexpr std::array<std::int64_t, 5> kNotifyThresholdsMinor = {50'00, 100'00, 250'00, 500'00,
                                                                1000'00};
constexpr double kOptedInShare = 0.85;
constexpr std::uint64_t kPopulationStream = 0x706f70756c617469ULL;  // "populati"

int pick_home_city(Rng& rng) {
  int total = 0;
  for (const City& c : cities()) total += c.weight;
  auto n = static_cast<int>(rng.below(static_cast<std::uint64_t>(total)));
  for (std::size_t i = 0; i < cities().size(); ++i) {
    n -= cities()[i].weight;
    if (n < 0) return static_cast<int>(i);
  }
  return 0;
}

const Names& names_for(std::string_view language) {
  for (const Names& n : kNames)
    if (n.language == language) return n;
  return kNames.back();
}

CustomerProfile make_profile(Rng& rng, const Account& a, int index) {
  const Names& names = names_for(cities()[static_cast<std::size_t>(a.home_city)].language);
  CustomerProfile p;
  p.customer = a.customer;
  // "+3161234xxxx" for the first 10000 customers, then onwards in the same number range.
  p.phone = fmt::format("+316{}", 12'340'000 + index);
  p.name = fmt::format("{} {}", names.first[rng.below(names.first.size())],
                       names.last[rng.below(names.last.size())]);
  p.language = std::string(names.language);
  p.notify_threshold_minor = kNotifyThresholdsMinor[rng.below(kNotifyThresholdsMinor.size())];
  p.opted_in = rng.chance(kOptedInShare);
  return p;
}

}  // namespace

std::string city_merchant(int city, std::int64_t n) {
  return fmt::format("merch-{}-{:04}", cities()[static_cast<std::size_t>(city)].code, n);
}
std::string city_atm(int city, std::int64_t n) {
  return fmt::format("atm-{}-{:02}", cities()[static_cast<std::size_t>(city)].code, n);
}
std::string city_branch(int city, std::int64_t n) {
  return fmt::format("branch-{}-{}", cities()[static_cast<std::size_t>(city)].code, n);
}
std::string web_shop(std::int64_t n) {
  return fmt::format("shop-{:04}", n);
}

std::vector<Account> make_population(std::uint64_t seed, int accounts) {
  Rng rng(seed ^ kPopulationStream);
  std::vector<Account> population(static_cast<std::size_t>(accounts));
  for (int i = 0; i < accounts; ++i) {
    Account& a = population[static_cast<std::size_t>(i)];
    a.id = fmt::format("acct-{:06}", i + 1);
    a.customer = fmt::format("cust-{:06}", i + 1);
    a.home_city = pick_home_city(rng);
    for (int c = 1, n = static_cast<int>(rng.between(1, 2)); c <= n; ++c)
      a.cards.push_back(fmt::format("card-{:06}-{}", i + 1, c));
    for (int d = 1, n = static_cast<int>(rng.between(1, 3)); d <= n; ++d)
      a.devices.push_back(fmt::format("dev-{:06}-{}", i + 1, d));
    for (int m = 0, n = static_cast<int>(rng.between(4, 8)); m < n; ++m)
      a.merchants.push_back(city_merchant(a.home_city, rng.between(1, kMerchantsPerCity)));
    for (int p = 0, n = static_cast<int>(rng.between(2, 5)); p < n; ++p) {
      auto other = rng.between(1, accounts);
      bool external = accounts == 1 || other == i + 1 || rng.chance(0.5);
      a.payees.push_back(external ? fmt::format("acct-ext-{:06}", rng.between(1, 999'999))
                                  : fmt::format("acct-{:06}", other));
    }
    a.opening_balance_minor = rng.between(500'00, 25'000'00);
    a.profile = make_profile(rng, a, i);
  }
  return population;
}

}  // namespace gale::events
