// gale-nimbus: parses its flags and runs the Nimbus daemon (see gale/nimbus/nimbus.h).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <variant>

#include "gale/common/command_line.h"
#include "gale/common/daemon_config.h"
#include "gale/common/logging.h"
#include "gale/common/version.h"
#include "gale/nimbus/nimbus.h"

int main(int argc, char** argv) {
  CLI::App app{"gale-nimbus: the Gale cluster's master"};
  app.set_version_flag("--version", gale::version_text("gale-nimbus"));
  std::string config_path;
  std::vector<std::string> settings;
  std::string worker_bin;
  std::string log_level = "info";
  app.add_option("--config", config_path,
                 "gale.yaml (default: ./gale.yaml, else /etc/gale/gale.yaml, if present)");
  app.add_option("-c", settings, "Config setting key=value on top of the file (repeatable)");
  app.add_option("--worker-bin", worker_bin,
                 "gale-worker to run `inspect` with (default: beside gale-nimbus)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error");
  // `token create`: the first admin's token, written straight into ZooKeeper (every later one
  // comes from `gale token create` through the API).
  auto* token = app.add_subcommand("token", "Issue an API token directly in ZooKeeper");
  token->require_subcommand(1);
  token->fallthrough();  // --config and -c may come after the subcommand too
  auto* create = token->add_subcommand("create", "Issue (or replace) a principal's token");
  std::string principal;
  std::string role = "admin";
  create->add_option("principal", principal, "Who will present the token")->required();
  create->add_option("--role", role, "admin, deployer, viewer or supervisor (default: admin)");
  create->fallthrough();
  if (auto exit = gale::parse_command_line(app, argc, argv)) return *exit;

  if (create->parsed()) {
    gale::init_logging("warn");
    if (config_path.empty()) config_path = gale::default_config_path();
    auto conf = gale::load_daemon_config(config_path, settings);
    if (!conf) {
      std::cerr << "gale-nimbus token create: " << conf.error().message << "\n";
      return 2;
    }
    auto issued = gale::nimbus::create_token_in_zookeeper(*conf, principal, role);
    if (!issued) {
      std::cerr << "gale-nimbus token create: " << issued.error().message << "\n";
      return 1;
    }
    std::cout << *issued << "\n";
    return 0;
  }

  gale::init_logging(log_level);
  spdlog::info("{}", gale::version_text("gale-nimbus"));
  if (config_path.empty()) config_path = gale::default_config_path();
  auto loaded = gale::load_daemon_config(config_path, settings);
  if (!loaded) {
    std::cerr << "gale-nimbus: " << loaded.error().message << "\n";
    return 2;
  }
  gale::nimbus::NimbusOptions options;
  options.config = std::move(loaded).value();
  options.worker_binary = worker_bin.empty() ? gale::nimbus::default_worker_binary()
                                             : std::filesystem::path(worker_bin);
  return gale::nimbus::run_nimbus(std::move(options));
}
