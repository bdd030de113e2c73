#include "gale/settings.h"

#include <charconv>
#include <cstdlib>

#include "gale/config.h"

namespace gale {

LiveSettings::LiveSettings(std::map<std::string, std::string, std::less<>> initial)
    : initial_(std::move(initial)), values_(initial_) {}

std::optional<std::string> LiveSettings::get(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string LiveSettings::get_string(std::string_view key, std::string_view fallback) const {
  auto value = get(key);
  return value ? *value : std::string(fallback);
}

double LiveSettings::get_double(std::string_view key, double fallback) const {
  auto value = get(key);
  if (!value || value->empty()) return fallback;
  char* end = nullptr;
  double parsed = std::strtod(value->c_str(), &end);
  return end == value->c_str() + value->size() ? parsed : fallback;
}

std::int64_t LiveSettings::get_int(std::string_view key, std::int64_t fallback) const {
  auto value = get(key);
  if (!value) return fallback;
  std::int64_t parsed = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  return ec == std::errc() && end == value->data() + value->size() ? parsed : fallback;
}

void LiveSettings::replace(const std::map<std::string, std::string>& changed) {
  {
    std::lock_guard lock(mu_);
    values_ = initial_;
    for (const auto& [key, value] : changed) values_[key] = value;
  }
  version_.fetch_add(1, std::memory_order_acq_rel);
}

std::string check_changeable_key(std::string_view key) {
  const std::string shown = "changeable key '" + std::string(key.substr(0, 128)) + "'";
  if (key.empty() || key.size() > 128) return shown + ": must be 1-128 characters";
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return shown + ": only a-z, 0-9, '.', '_' and '-' may be used";
  if (Config::reserved(key))
    return shown + ": a key under " + std::string(key.substr(0, key.find('.') + 1)) +
           " is Gale's own (its changeable ones are built in: docs/CONSOLE.md)";
  return {};
}

}  // namespace gale
