#pragma once
// What the balances tests (balances_test.cc, balances_cluster_test.cc) share: exact amounts from
// decimal text, and gale-balances run against a test PostgreSQL as an operator runs it.
// Needs GALE_BIN_DIR.
#include <cstdint>
#include <string>
#include <vector>

#include "gale/testing/child_process.h"
#include "gale/testing/postgres_server.h"

namespace gale::testing {

// Minor units (cents) of a decimal string with at most two fractional digits.
inline std::int64_t cents(const std::string& decimal) {
  auto dot = decimal.find('.');
  std::string whole = decimal.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : decimal.substr(dot + 1);
  fraction.resize(2, '0');
  bool negative = !whole.empty() && whole[0] == '-';
  return std::stoll(whole) * 100 + (negative ? -1 : 1) * std::stoll(fraction);
}

// `gale-balances <args>` against `postgres`, its password read from `password_file`.
inline CommandResult gale_balances(std::vector<std::string> args, const PostgresServer& postgres,
                                   const std::string& password_file) {
  std::vector<std::string> argv{std::string(GALE_BIN_DIR) + "/gale-balances"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--postgres-port", std::to_string(postgres.port()), "--postgres-user",
                           PostgresServer::user(), "--postgres-password-file", password_file});
  return run_command(argv);
}

}  // namespace gale::testing
