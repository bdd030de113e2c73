#pragma once
// Settings that change while a topology runs (docs/CONSOLE.md, "Runtime settings"): the keys
// a topology declares changeable (TopologyBuilder::declare_changeable), set with `gale set` or
// from the console, reach every task without a restart. A component reads them when it wants
// the value now, e.g. once a second or when version() moved:
//
//   const LiveSettings& live = context.settings();        // in open()/prepare()
//   if (live.version() != seen_) { seen_ = live.version(); rate_ = live.get_double("x.rate", 0); }
//
// Thread-safe: the worker replaces the values while tasks read them.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gale {

class LiveSettings {
 public:
  // `initial`: each changeable key's value in the topology's config, if it has one.
  explicit LiveSettings(std::map<std::string, std::string, std::less<>> initial = {});

  // How many times the values were replaced: a component that saw this number has seen them.
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }
  // The key's value now: the last one set, else the config's; nothing for a key without one.
  std::optional<std::string> get(std::string_view key) const;
  std::string get_string(std::string_view key, std::string_view fallback) const;
  // The fallback where the key has no value or it is not a number (whole number).
  double get_double(std::string_view key, double fallback) const;
  std::int64_t get_int(std::string_view key, std::int64_t fallback) const;

  // The runtime's: the changed keys' values on top of the initial ones (a key left out goes
  // back to its initial value).
  void replace(const std::map<std::string, std::string>& changed);

 private:
  const std::map<std::string, std::string, std::less<>> initial_;
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> values_;
  std::atomic<std::uint64_t> version_{0};
};

// What a key a topology declares changeable must look like: its own key (not under one of
// Gale's prefixes, Config::reserved), 1-128 of [a-z0-9._-]. An error message naming the key,
// empty when it may be declared. A topology declares at most kMaxChangeable keys.
inline constexpr std::size_t kMaxChangeable = 100;
std::string check_changeable_key(std::string_view key);

}  // namespace gale
