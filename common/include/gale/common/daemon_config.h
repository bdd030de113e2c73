#pragma once
// Configuration of the cluster daemons and the CLI: a gale.yaml file (a flat map of config
// keys, Storm's names) with key=value overrides from flags on top. Every key and value is
// checked by gale::Config's setter, so a typo or a bad value is named with what was expected.
#include <filesystem>
#include <string>
#include <vector>

#include "gale/common/errc.h"
#include "gale/common/result.h"
#include "gale/config.h"

namespace gale {

// path: a gale.yaml, or empty for defaults only. overrides: "key=value" strings (flags).
// Returns the config or one error (CommonErrc) whose message names the file, line and key of the
// first problem.
Result<Config> load_daemon_config(const std::string& path,
                                  const std::vector<std::string>& overrides = {});

// Where the packages put the machine's configuration.
inline const std::filesystem::path kSystemConfigFile = "/etc/gale/gale.yaml";

// The gale.yaml a program reads when it is given no --config: ./gale.yaml if it exists, else
// `system_file` if it exists, else none (empty: defaults only).
std::string default_config_path(const std::filesystem::path& system_file = kSystemConfigFile);

// Applies one "key=value" to `conf`; on failure an error (CommonErrc::bad_setting) whose message
// names the key.
Status apply_setting(Config& conf, const std::string& key_value);

}  // namespace gale
