// gale-worker: `inspect` (describe a topology for Nimbus) and `run` (a worker of the cluster).
// main() only parses arguments and hands over.
#include <spdlog/spdlog.h>
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "gale/common/command_line.h"
#include "gale/common/component_counts.h"
#include "gale/common/daemon_config.h"
#include "gale/common/logging.h"
#include "gale/common/version.h"
#include "inspect.h"
#include "sandbox.h"
#include "worker_process.h"

namespace {

struct InspectOptions {
  std::string artifact;
  std::vector<std::string> settings;
  std::vector<std::string> executors;
};

int run_inspect(const InspectOptions& o) {
  auto conf = gale::load_daemon_config("", o.settings);
  if (!conf) {
    std::cerr << "gale-worker inspect: " << conf.error().message << "\n";
    return 2;
  }
  auto executors = gale::parse_component_counts(o.executors);
  if (!executors) {
    std::cerr << "gale-worker inspect: " << executors.error().message << "\n";
    return 2;
  }
  if (!std::filesystem::is_regular_file(o.artifact)) {
    std::cerr << "no such topology library: " << o.artifact << "\n";
    return 1;
  }
  // The library is untrusted until it is inspected: it is loaded only inside the sandbox.
  return gale::worker::run_sandboxed(
      o.artifact, gale::worker::SandboxLimits{}, [&](const std::filesystem::path& copy) {
        auto result = gale::worker::inspect_topology(copy.string(), *conf, *executors);
        if (!result) {
          std::string line = result.error().message;
          // Name the library as the caller did, not by its copy in the sandbox.
          for (auto at = line.find(copy.string()); at != std::string::npos;
               at = line.find(copy.string(), at + o.artifact.size()))
            line.replace(at, copy.string().size(), o.artifact);
          for (auto& c : line)
            if (c == '\n') c = ' ';  // one line for the caller to relay
          std::cerr << line << "\n";
          return 1;
        }
        std::cout << result->dump() << "\n";
        return 0;
      });
}

std::atomic<bool> stop_requested{false};
void on_signal(int) {
  stop_requested.store(true);
}

struct RunOptions {
  gale::worker::WorkerOptions worker;
  std::string config_file;
  std::vector<std::string> settings;
  std::string log_level = "info";
};

int run(RunOptions& o) {
  gale::init_logging(o.log_level);
  spdlog::info("{}", gale::version_text("gale-worker"));
  auto conf = gale::load_daemon_config(o.config_file, o.settings);
  if (!conf) {
    std::cerr << "gale-worker run: " << conf.error().message << "\n";
    return 2;
  }
  // The ZooKeeper identity its supervisor hands it (the topology's own: docs/SECURITY.md) comes
  // in the environment, not on the command line; it is taken out before any topology code runs,
  // so that nothing the topology starts inherits it.
  // Not dumpable: another process of the same user (another topology's worker, when the
  // supervisor runs them all as one user) can neither trace this one nor read its memory or
  // /proc/<pid>/environ.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (char* identity = std::getenv("GALE_ZOOKEEPER_AUTH"); identity != nullptr) {
    if (auto set = conf->set(gale::conf::kStormZookeeperAuthPayload, identity); !set) {
      std::cerr << "gale-worker run: GALE_ZOOKEEPER_AUTH: " << set.message << "\n";
      return 2;
    }
    // Overwritten where the kernel keeps it (the start of the process's stack, which
    // /proc/<pid>/environ shows), not only taken out of `environ`.
    std::fill(identity, identity + std::strlen(identity), '\0');
    ::unsetenv("GALE_ZOOKEEPER_AUTH");
  }
  o.worker.conf = std::move(conf).value();
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  return gale::worker::run_worker(o.worker, stop_requested);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gale-worker: runs a topology's executors in the cluster"};
  app.set_version_flag("--version", gale::version_text("gale-worker"));
  app.require_subcommand(1);
  InspectOptions inspect;
  auto* cmd = app.add_subcommand("inspect", "Load a topology and print its layout as JSON");
  cmd->add_option("artifact", inspect.artifact, "The topology's shared library")->required();
  cmd->add_option("-c,--config", inspect.settings, "Topology config key=value (repeatable)");
  cmd->add_option("-e,--executors", inspect.executors, "component=executors (repeatable)");
  RunOptions run_options;
  auto* run_cmd = app.add_subcommand(
      "run", "Run this slot's executors of a topology (launched by a supervisor)");
  auto& w = run_options.worker;
  run_cmd->add_option("--topology-id", w.topology_id, "Topology id")->required();
  run_cmd->add_option("--supervisor-id", w.supervisor_id, "Supervisor that launched this worker")
      ->required();
  run_cmd->add_option("--host", w.host, "Host of this slot")->required();
  run_cmd->add_option("--port", w.port, "Port of this slot")
      ->required()
      ->check(CLI::Range(1, 65535));
  run_cmd->add_option("--artifact", w.artifact, "The topology's shared library")->required();
  run_cmd->add_option("--config", run_options.config_file, "gale.yaml");
  run_cmd->add_option("-c", run_options.settings, "Setting key=value (repeatable)");
  run_cmd->add_option("--log-level", run_options.log_level, "trace, debug, info, warn or error");
  if (auto exit = gale::parse_command_line(app, argc, argv)) return *exit;
  if (cmd->parsed()) return run_inspect(inspect);
  if (run_cmd->parsed()) return run(run_options);
  return 2;
}
