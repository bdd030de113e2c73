#pragma once
// The Yahoo Streaming Benchmark's data: 100 campaigns of 10 ads each, and ad events as JSON
//   {"user_id","page_id","ad_id","ad_type","event_type","event_time","ip_address"}
// with event_type one of view | click | purchase (a third each) and event_time in epoch
// milliseconds, written as a string of digits as the original benchmark writes it.
//
// Threading: a catalog is immutable once made; a generator belongs to one thread.
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace gale::bench {

inline constexpr std::int64_t kWindowMs = 10'000;  // the benchmark's windows: 10 s of event time

inline std::int64_t window_start(std::int64_t event_time_ms) {
  return event_time_ms - event_time_ms % kWindowMs;
}

// Campaign and ad ids (UUIDs), the same for the same seed; ad i belongs to campaign i / 10.
struct AdCatalog {
  static constexpr int kCampaigns = 100;
  static constexpr int kAdsPerCampaign = 10;

  explicit AdCatalog(std::uint64_t seed);

  std::vector<std::string> campaigns;
  std::vector<std::string> ads;
  int campaign_of(std::size_t ad) const { return static_cast<int>(ad) / kAdsPerCampaign; }
};

// View events per (campaign index, window start): what the windowed counts must come to.
using ExpectedCounts = std::map<std::pair<int, std::int64_t>, std::int64_t>;

class AdEventGenerator {
 public:
  AdEventGenerator(const AdCatalog& catalog, std::uint64_t seed);

  // Writes the next event, at `event_time_ms`, into `json` (replacing its contents). A view is
  // also counted in expected().
  void next(std::int64_t event_time_ms, std::string& json);

  const ExpectedCounts& expected() const { return expected_; }
  std::int64_t views() const { return views_; }

 private:
  const AdCatalog& catalog_;
  std::mt19937_64 rng_;
  std::vector<std::string> users_;  // 100 of each, as the original
  std::vector<std::string> pages_;
  ExpectedCounts expected_;
  std::int64_t views_ = 0;
};

}  // namespace gale::bench
