#include "local_command.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>
#include <variant>

#include "gale/common/daemon_config.h"
#include "gale/common/logging.h"
#include "gale/errors.h"
#include "gale/runtime/local_cluster.h"
#include "gale/runtime/topology_loader.h"

namespace gale::cli {

namespace {

struct LocalOptions {
  std::string path;
  double duration_secs = 10;
  std::vector<std::string> settings;
  std::string name;
  std::string log_level = "warn";
};

LocalOptions options;
CLI::App* local_app = nullptr;
std::atomic<bool> interrupted{false};

void on_signal(int) {
  interrupted.store(true);
}

}  // namespace

void add_local_command(CLI::App& app) {
  local_app = app.add_subcommand("local", "Run a packaged topology in this process");
  local_app->add_option("topology", options.path, "The topology's shared library (.so)")
      ->required();
  local_app
      ->add_option("--duration", options.duration_secs,
                   "Seconds to run before draining and stopping (0: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  local_app->add_option("-c,--config", options.settings, "Config setting key=value (repeatable)");
  local_app->add_option("--name", options.name, "Topology name (default: the library's)");
  local_app->add_option("--log-level", options.log_level, "trace, debug, info, warn or error");
}

bool local_chosen() {
  return local_app && local_app->parsed();
}

int run_local() {
  init_logging(options.log_level);
  Config conf;
  for (const auto& kv : options.settings) {
    if (auto set = apply_setting(conf, kv); !set) {
      std::cerr << "gale local: -c " << kv << ": " << set.error().message << "\n";
      return 2;
    }
  }
  auto loaded = runtime::load_topology(options.path, conf);
  if (!loaded) {
    std::cerr << "gale local: " << loaded.error().message << "\n";
    return 1;
  }
  auto& topo = loaded.value();
  std::string name = options.name.empty() ? topo.name : options.name;

  try {
    runtime::LocalCluster cluster(name, std::move(topo.topology), conf);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::cout << "gale local: running '" << name << "'"
              << (options.duration_secs > 0 ? fmt::format(" for {:g} s", options.duration_secs)
                                            : "")
              << " (Ctrl-C stops)\n"
              << std::flush;
    cluster.start();
    auto start = std::chrono::steady_clock::now();
    auto limit = std::chrono::duration<double>(options.duration_secs);
    while (!interrupted.load() &&
           (options.duration_secs == 0 || std::chrono::steady_clock::now() - start < limit)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto drain_limit = std::chrono::seconds(conf.get_int(conf::kTopologyMessageTimeoutSecs));
    bool drained = cluster.drain(drain_limit);
    cluster.stop();
    std::cout << runtime::format_stats(cluster.stats());
    if (!drained) std::cout << "gale local: stopped with tuples still in flight\n";
  } catch (const InvalidTopology& e) {
    std::cerr << "gale local: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "gale local: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace gale::cli
