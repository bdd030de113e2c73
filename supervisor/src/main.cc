// gale-supervisor: parses its flags, loads gale.yaml and runs a Supervisor until SIGTERM/SIGINT.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "gale/common/command_line.h"
#include "gale/common/daemon_config.h"
#include "gale/common/logging.h"
#include "gale/common/version.h"
#include "gale/supervisor/supervisor.h"

int main(int argc, char** argv) {
  CLI::App app{"gale-supervisor: runs the gale-worker processes of this machine's slots"};
  app.set_version_flag("--version", gale::version_text("gale-supervisor"));
  std::string config_path;
  std::vector<std::string> overrides;
  std::string worker_bin;
  std::string log_level = "info";
  app.add_option("--config", config_path,
                 "gale.yaml (default: ./gale.yaml, else /etc/gale/gale.yaml, if present)");
  app.add_option("-c", overrides, "a config setting key=value, over the file")
      ->allow_extra_args(false);
  app.add_option("--worker-bin", worker_bin, "the gale-worker binary (default: beside this one)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error");
  if (auto exit = gale::parse_command_line(app, argc, argv)) return *exit;

  if (config_path.empty()) config_path = gale::default_config_path();
  auto conf = gale::load_daemon_config(config_path, overrides);
  if (!conf) {
    std::cerr << "gale-supervisor: " << conf.error().message << "\n";
    return 2;
  }
  namespace sup = gale::supervisor;
  auto settings = sup::settings_from_config(
      *conf, worker_bin.empty() ? sup::default_worker_bin() : std::filesystem::path(worker_bin));
  if (!settings) {
    std::cerr << "gale-supervisor: " << settings.error().message << "\n";
    return 2;
  }
  gale::init_logging(log_level);
  spdlog::info("{}", gale::version_text("gale-supervisor"));

  // Block the stop signals in every thread (the supervisor's threads inherit the mask) and
  // take them here with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto supervisor = sup::Supervisor::start(settings.value());
  if (!supervisor) {
    spdlog::error("gale-supervisor: {}", supervisor.error().message);
    return 1;
  }
  int received = 0;
  sigwait(&stop_signals, &received);
  spdlog::info("gale-supervisor: signal {}, stopping the workers", received);
  supervisor.value()->stop();
  return 0;
}
