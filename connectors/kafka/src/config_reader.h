#pragma once
// Reads a connector's keys from a topology's gale::Config under one prefix, turning every
// wrong value into a KafkaConfigError that names the full key.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gale/config.h"

namespace gale::kafka {

class ConfigReader {
 public:
  ConfigReader(const Config& conf, std::string_view prefix) : conf_(conf), prefix_(prefix) {}

  std::string key(std::string_view name) const { return prefix_ + std::string(name); }
  std::string text(std::string_view name, std::string_view fallback = {}) const;
  // Within [min, max].
  std::int64_t integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) const;
  double number(std::string_view name, double fallback, double min) const;
  // One of `choices`; the error lists them.
  std::string choice(std::string_view name, std::string_view fallback,
                     const std::vector<std::string_view>& choices) const;
  // Comma-separated, trimmed, without empty items.
  std::vector<std::string> list(std::string_view name) const;
  // Every key under <prefix><group>. with that part cut off: "kafka.consumer.linger.ms"
  // -> "linger.ms".
  std::map<std::string, std::string> properties(std::string_view group) const;

 private:
  const Config& conf_;
  std::string prefix_;
};

}  // namespace gale::kafka
