#pragma once
// The cities the generator places accounts and transactions in, and the distance between two
// points on the earth.
#include <span>
#include <string_view>

namespace gale::events {

struct City {
  std::string_view name;
  std::string_view code;  // short code in merchant ids, e.g. "ams"
  double lat;
  double lon;
  std::string_view language;  // the language of most customers living there
  int weight;                 // how many accounts live there, relatively
};

std::span<const City> cities();

// Great-circle distance in km (haversine, mean earth radius as in default_rules.h).
double distance_km(double lat1, double lon1, double lat2, double lon2);

}  // namespace gale::events
