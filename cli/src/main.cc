// gale: the command line. main() only parses arguments and hands over to a verb.
#include <CLI/CLI.hpp>

#include "cluster_commands.h"
#include "gale/common/command_line.h"
#include "gale/common/version.h"
#include "local_command.h"

int main(int argc, char** argv) {
  CLI::App app{"gale: real-time stream processing"};
  app.set_version_flag("--version", gale::version_text("gale"));
  app.require_subcommand(1);
  gale::cli::add_local_command(app);
  gale::cli::add_cluster_commands(app);
  if (auto exit = gale::parse_command_line(app, argc, argv)) return *exit;
  if (gale::cli::local_chosen()) return gale::cli::run_local();
  if (gale::cli::cluster_command_chosen()) return gale::cli::run_cluster_command();
  return 2;
}
