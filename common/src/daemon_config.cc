#include "gale/common/daemon_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>

namespace gale {

std::string apply_setting(Config& conf, const std::string& key_value) {
  auto eq = key_value.find('=');
  if (eq == std::string::npos || eq == 0) return "'" + key_value + "': expected key=value";
  auto result = conf.set(key_value.substr(0, eq), std::string_view(key_value).substr(eq + 1));
  return result ? "" : result.message;
}

namespace {

// A YAML sequence (e.g. supervisor.slots.ports: [6700, 6701]) becomes "6700,6701".
std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  std::string joined;
  for (const auto& item : node) {
    if (!item.IsScalar())
      throw YAML::Exception(item.Mark(), "expected a value or a list of values");
    joined += (joined.empty() ? "" : ",") + item.Scalar();
  }
  return joined;
}

}  // namespace

std::variant<Config, std::string> load_daemon_config(const std::string& path,
                                                     const std::vector<std::string>& overrides) {
  Config conf;
  if (!path.empty()) {
    std::ifstream probe(path);
    if (!probe) return "cannot read config file '" + path + "'";
    try {
      YAML::Node root = YAML::LoadFile(path);
      if (root && !root.IsNull() && !root.IsMap())
        return path + ": expected a map of config keys to values";
      for (const auto& entry : root) {
        std::string key = entry.first.as<std::string>();
        auto result = conf.set(key, scalar_text(entry.second));
        if (!result)
          return path + ":" + std::to_string(entry.first.Mark().line + 1) + ": " + result.message;
      }
    } catch (const YAML::Exception& e) {
      return path + ": " + e.what();
    }
  }
  for (const auto& kv : overrides) {
    if (auto e = apply_setting(conf, kv); !e.empty()) return e;
  }
  return conf;
}

}  // namespace gale
