#pragma once
// `gale local <topology.so> [--duration S] [-c key=value ...]`
#include <CLI/CLI.hpp>

namespace gale::cli {

// Adds the `local` subcommand; when chosen, run_local() does the work.
void add_local_command(CLI::App& app);
bool local_chosen();
int run_local();

}  // namespace gale::cli
