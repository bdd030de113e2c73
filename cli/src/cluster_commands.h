#pragma once
// The cluster verbs of `gale`, Nimbus clients as in Storm:
//   gale submit <topology.so> --name N [-c key=value ...]
//   gale list | status N | activate N | deactivate N
//   gale kill N [-w S] | rebalance N [-w S] [-n W] [-e component=P ...]
// Each takes --config gale.yaml and --nimbus host:port (over nimbus.host / nimbus.port).
// A failure prints one line naming the problem and returns 1 (2 for bad arguments).
#include <CLI/CLI.hpp>

namespace gale::cli {

// Adds the subcommands; when one of them was chosen, run_cluster_command() does the work.
void add_cluster_commands(CLI::App& app);
bool cluster_command_chosen();
int run_cluster_command();

}  // namespace gale::cli
