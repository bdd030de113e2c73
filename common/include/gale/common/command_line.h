#pragma once
// One way for every Gale program to parse its command line with CLI11, so that they all answer
// alike: --help and --version print and exit 0; any parse error prints one line naming the
// flag and the problem, with a pointer to --help, and exits 2 (CLI11's own codes, 105, 106,
// 109, ..., are not what the READMEs promise).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace gale {

inline constexpr int kExitBadArguments = 2;

// nullopt: go on; else the code main() returns.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string program = std::filesystem::path(argv[0]).filename().string();
    std::cerr << program << ": " << e.what() << " (see " << program << " --help)\n";
    return kExitBadArguments;
  }
  return std::nullopt;
}

}  // namespace gale
