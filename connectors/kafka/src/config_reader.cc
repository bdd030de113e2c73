#include "config_reader.h"

#include <algorithm>

#include "gale/errors.h"
#include "gale/kafka/config.h"

namespace gale::kafka {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ConfigReader::text(std::string_view name, std::string_view fallback) const {
  return conf_.get_string(key(name), fallback);
}

std::int64_t ConfigReader::integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                                   std::int64_t max) const {
  std::int64_t v = fallback;
  try {
    v = conf_.get_int(key(name), fallback);
  } catch (const TypeError& e) {
    throw KafkaConfigError(e.what());
  }
  if (v < min || v > max) {
    throw KafkaConfigError("config key '" + key(name) + "': expected an integer from " +
                           std::to_string(min) + " to " + std::to_string(max) + ", got " +
                           std::to_string(v));
  }
  return v;
}

double ConfigReader::number(std::string_view name, double fallback, double min) const {
  double v = fallback;
  try {
    v = conf_.get_double(key(name), fallback);
  } catch (const TypeError& e) {
    throw KafkaConfigError(e.what());
  }
  if (!(v >= min)) {
    throw KafkaConfigError("config key '" + key(name) + "': expected a number >= " +
                           std::to_string(min) + ", got " + std::to_string(v));
  }
  return v;
}

std::string ConfigReader::choice(std::string_view name, std::string_view fallback,
                                 const std::vector<std::string_view>& choices) const {
  std::string v = text(name, fallback);
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
  std::string expected;
  for (std::string_view c : choices) expected += (expected.empty() ? "" : " | ") + std::string(c);
  throw KafkaConfigError("config key '" + key(name) + "': expected " + expected + ", got '" + v +
                         "'");
}

std::vector<std::string> ConfigReader::list(std::string_view name) const {
  std::vector<std::string> items;
  const std::string all = text(name);
  std::string_view rest = all;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return items;
}

std::map<std::string, std::string> ConfigReader::properties(std::string_view group) const {
  std::string under = key(group) + ".";
  std::map<std::string, std::string> props;
  for (const auto& [k, v] : conf_.entries()) {
    if (k.size() > under.size() && k.compare(0, under.size(), under) == 0)
      props.emplace(k.substr(under.size()), v.to_string());
  }
  return props;
}

}  // namespace gale::kafka
