#include "gale/common/daemon_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>

namespace gale {

Status apply_setting(Config& conf, const std::string& key_value) {
  auto eq = key_value.find('=');
  if (eq == std::string::npos || eq == 0)
    return make_error(CommonErrc::bad_setting, "'" + key_value + "': expected key=value");
  auto result = conf.set(key_value.substr(0, eq), std::string_view(key_value).substr(eq + 1));
  if (!result) return make_error(CommonErrc::bad_setting, result.message);
  return {};
}

std::string default_config_path(const std::filesystem::path& system_file) {
  if (std::filesystem::exists("gale.yaml")) return "gale.yaml";
  if (std::filesystem::exists(system_file)) return system_file.string();
  return "";
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

Result<Config> load_daemon_config(const std::string& path,
                                  const std::vector<std::string>& overrides) {
  Config conf;
  if (!path.empty()) {
    std::ifstream probe(path);
    if (!probe) return make_error(CommonErrc::io_error, "cannot read config file '" + path + "'");
    try {
      YAML::Node root = YAML::LoadFile(path);
      if (root && !root.IsNull() && !root.IsMap())
        return make_error(CommonErrc::bad_config,
                          path + ": expected a map of config keys to values");
      for (const auto& entry : root) {
        std::string key = entry.first.as<std::string>();
        auto result = conf.set(key, scalar_text(entry.second));
        if (!result)
          return make_error(
              CommonErrc::bad_setting,
              path + ":" + std::to_string(entry.first.Mark().line + 1) + ": " + result.message);
      }
    } catch (const YAML::Exception& e) {
      return make_error(CommonErrc::bad_config, path + ": " + e.what());
    }
  }
  for (const auto& kv : overrides) {
    if (auto set = apply_setting(conf, kv); !set) return set.error();
  }
  return conf;
}

}  // namespace gale
