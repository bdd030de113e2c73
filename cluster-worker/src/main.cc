// gale-worker: `inspect` (describe a topology for Nimbus) and `run` (a worker of the cluster).
// main() only parses arguments and hands over.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "gale/common/daemon_config.h"
#include "inspect.h"

namespace {

struct InspectOptions {
  std::string artifact;
  std::vector<std::string> settings;
  std::vector<std::string> executors;
};

// "component=n" pairs into a map; an error message names the first bad one.
std::string parse_executors(const std::vector<std::string>& pairs,
                            std::map<std::string, int, std::less<>>& out) {
  for (const auto& p : pairs) {
    auto eq = p.find('=');
    int n = 0;
    try {
      if (eq == std::string::npos || eq == 0) throw std::invalid_argument(p);
      std::size_t used = 0;
      n = std::stoi(p.substr(eq + 1), &used);
      if (used != p.size() - eq - 1) throw std::invalid_argument(p);
    } catch (const std::exception&) {
      return "-e '" + p + "': expected component=executors";
    }
    out[p.substr(0, eq)] = n;
  }
  return {};
}

int run_inspect(const InspectOptions& o) {
  auto conf = gale::load_daemon_config("", o.settings);
  if (auto* e = std::get_if<std::string>(&conf)) {
    std::cerr << "gale-worker inspect: " << *e << "\n";
    return 2;
  }
  std::map<std::string, int, std::less<>> executors;
  if (auto e = parse_executors(o.executors, executors); !e.empty()) {
    std::cerr << "gale-worker inspect: " << e << "\n";
    return 2;
  }
  auto result = gale::cluster::inspect_topology(o.artifact, std::get<gale::Config>(conf), executors);
  if (auto* e = std::get_if<std::string>(&result)) {
    std::string line = *e;
    for (auto& c : line)
      if (c == '\n') c = ' ';  // one line for the caller to relay
    std::cerr << line << "\n";
    return 1;
  }
  std::cout << std::get<nlohmann::json>(result).dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gale-worker: runs a topology's executors in the cluster"};
  app.require_subcommand(1);
  InspectOptions inspect;
  auto* cmd = app.add_subcommand("inspect", "Load a topology and print its layout as JSON");
  cmd->add_option("artifact", inspect.artifact, "The topology's shared library")->required();
  cmd->add_option("-c,--config", inspect.settings, "Topology config key=value (repeatable)");
  cmd->add_option("-e,--executors", inspect.executors, "component=executors (repeatable)");
  CLI11_PARSE(app, argc, argv);
  if (cmd->parsed()) return run_inspect(inspect);
  return 2;
}
