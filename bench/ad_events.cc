#include "ad_events.h"

#include <fmt/format.h>

#include <array>

namespace gale::bench {
namespace {

std::string uuid(std::mt19937_64& rng) {
  std::uint64_t hi = rng(), lo = rng();
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

std::vector<std::string> uuids(std::mt19937_64& rng, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(uuid(rng));
  return ids;
}

constexpr std::array<const char*, 5> kAdTypes = {"banner", "modal", "sponsored-search", "mail",
                                                 "mobile"};
constexpr std::array<const char*, 3> kEventTypes = {"view", "click", "purchase"};

}  // namespace

AdCatalog::AdCatalog(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  campaigns = uuids(rng, kCampaigns);
  ads = uuids(rng, kCampaigns * kAdsPerCampaign);
}

AdEventGenerator::AdEventGenerator(const AdCatalog& catalog, std::uint64_t seed)
    : catalog_(catalog), rng_(seed), users_(uuids(rng_, 100)), pages_(uuids(rng_, 100)) {}

void AdEventGenerator::next(std::int64_t event_time_ms, std::string& json) {
  std::size_t ad = rng_() % catalog_.ads.size();
  std::size_t type = rng_() % kEventTypes.size();
  json.clear();
  fmt::format_to(std::back_inserter(json),
                 R"({{"user_id":"{}","page_id":"{}","ad_id":"{}","ad_type":"{}","event_type":"{}",)"
                 R"("event_time":"{}","ip_address":"1.2.3.4"}})",
                 users_[rng_() % users_.size()], pages_[rng_() % pages_.size()], catalog_.ads[ad],
                 kAdTypes[rng_() % kAdTypes.size()], kEventTypes[type], event_time_ms);
  if (type == 0) {
    ++expected_[{catalog_.campaign_of(ad), window_start(event_time_ms)}];
    ++views_;
  }
}

}  // namespace gale::bench
