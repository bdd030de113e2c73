#pragma once
// The rules of topologies/risk-alert/rules/default.yaml, as constants: the generator plants
// patterns against them, and events_test checks every constant against that file. Change both
// together.
#include <array>
#include <cstdint>
#include <string_view>

namespace gale::events::default_rules {

// large-amount (threshold): tx.amount >= 20000.
inline constexpr std::string_view kLargeAmount = "large-amount";
inline constexpr std::int64_t kLargeAmountMinor = 20000'00;

// card-velocity (velocity, key card): the 5th transaction of a card within 60 s.
inline constexpr std::string_view kCardVelocity = "card-velocity";
inline constexpr std::int64_t kVelocityWindowMs = 60'000;
inline constexpr int kVelocityCount = 5;

// daily-cumulative (cumulative, key account): the 24 h sum crosses 50000.
inline constexpr std::string_view kDailyCumulative = "daily-cumulative";
inline constexpr std::int64_t kCumulativeWindowMs = 24 * 3'600'000LL;
inline constexpr std::int64_t kCumulativeLimitMinor = 50000'00;

// night-transfer (time_of_day 00:00-05:00 UTC): online/mobile, tx.amount >= 5000.
inline constexpr std::string_view kNightTransfer = "night-transfer";
inline constexpr int kNightFromHour = 0;
inline constexpr int kNightToHour = 5;
inline constexpr std::int64_t kNightTransferMinor = 5000'00;

// impossible-travel (key card): faster than 900 km/h since the card's previous transaction.
inline constexpr std::string_view kImpossibleTravel = "impossible-travel";
inline constexpr double kMaxSpeedKmh = 900;
inline constexpr double kEarthRadiusKm = 6371.0;  // mean radius, for the haversine distance

// blacklisted-device / blacklisted-counterparty (list).
inline constexpr std::string_view kBlacklistedDevice = "blacklisted-device";
inline constexpr std::array<std::string_view, 3> kBlacklistedDevices = {
    "dev-blk-0001", "dev-blk-0002", "dev-blk-0003"};
inline constexpr std::string_view kBlacklistedCounterparty = "blacklisted-counterparty";
inline constexpr std::array<std::string_view, 2> kBlacklistedCounterparties = {"acct-mule-0001",
                                                                               "acct-mule-0002"};

// first-time-payee: online/mobile, tx.amount >= 3000, to a counterparty the account never had.
inline constexpr std::string_view kFirstTimePayee = "first-time-payee";
inline constexpr std::int64_t kFirstTimePayeeMinor = 3000'00;

inline constexpr std::array<std::string_view, 8> kRuleIds = {
    kLargeAmount,      kCardVelocity,      kDailyCumulative,         kNightTransfer,
    kImpossibleTravel, kBlacklistedDevice, kBlacklistedCounterparty, kFirstTimePayee};

}  // namespace gale::events::default_rules
