#pragma once
// Configuration of the cluster daemons and the CLI: a gale.yaml file (a flat map of config
// keys, Storm's names) with key=value overrides from flags on top. Every key and value is
// checked by gale::Config's setter, so a typo or a bad value is named with what was expected.
#include <string>
#include <variant>
#include <vector>

#include "gale/config.h"

namespace gale {

// path: a gale.yaml, or empty for defaults only. overrides: "key=value" strings (flags).
// Returns the config or one message naming the file, line and key of the first problem.
std::variant<Config, std::string> load_daemon_config(
    const std::string& path, const std::vector<std::string>& overrides = {});

// Applies one "key=value" to `conf`; returns an error naming the key, empty when it was set.
std::string apply_setting(Config& conf, const std::string& key_value);

}  // namespace gale
