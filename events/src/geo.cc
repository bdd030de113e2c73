#include "geo.h"

#include <array>
#include <cmath>
#include <numbers>

#include "gale/events/default_rules.h"

namespace gale::events {

namespace {

constexpr std::array<City, 21> kCities = {{
    {"Amsterdam", "ams", 52.3676, 4.9041, "nl", 12},
    {"Rotterdam", "rtm", 51.9244, 4.4777, "nl", 8},
    {"Utrecht", "utr", 52.0907, 5.1214, "nl", 6},
    {"Eindhoven", "ein", 51.4416, 5.4697, "nl", 4},
    {"Antwerp", "anr", 51.2194, 4.4025, "nl", 3},
    {"Brussels", "bru", 50.8503, 4.3517, "fr", 4},
    {"Paris", "par", 48.8566, 2.3522, "fr", 5},
    {"Lyon", "lys", 45.7640, 4.8357, "fr", 2},
    {"Berlin", "ber", 52.5200, 13.4050, "de", 5},
    {"Munich", "muc", 48.1351, 11.5820, "de", 3},
    {"Frankfurt", "fra", 50.1109, 8.6821, "de", 3},
    {"Hamburg", "ham", 53.5511, 9.9937, "de", 3},
    {"Vienna", "vie", 48.2082, 16.3738, "de", 2},
    {"Zurich", "zrh", 47.3769, 8.5417, "de", 2},
    {"London", "lon", 51.5074, -0.1278, "en", 5},
    {"Dublin", "dub", 53.3498, -6.2603, "en", 2},
    {"Madrid", "mad", 40.4168, -3.7038, "en", 2},
    {"Lisbon", "lis", 38.7223, -9.1393, "en", 1},
    {"Rome", "rom", 41.9028, 12.4964, "en", 1},
    {"Stockholm", "sto", 59.3293, 18.0686, "en", 1},
    {"Athens", "ath", 37.9838, 23.7275, "en", 1},
}};

double radians(double degrees) {
  return degrees * std::numbers::pi / 180.0;
}

}  // namespace

std::span<const City> cities() {
  return kCities;
}

double distance_km(double lat1, double lon1, double lat2, double lon2) {
  double dlat = radians(lat2 - lat1);
  double dlon = radians(lon2 - lon1);
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(radians(lat1)) *
                                                           std::cos(radians(lat2)) *
                                                           std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * default_rules::kEarthRadiusKm * std::asin(std::sqrt(a));
}

}  // namespace gale::events
