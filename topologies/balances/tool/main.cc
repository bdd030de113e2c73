// gale-balances: the balances application's operator tool.
//   gale-balances schema     creates the result tables (sql/schema.sql, built in)
//   gale-balances reconcile  recomputes every balance from the CDC topic alone and compares it
//                            with the result tables; exit 0 only when nothing differs
// The PostgreSQL password comes from --postgres-password-file, PGPASSWORD or ~/.pgpass (libpq's
// own ways), never from the command line.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "gale/balances/ledger.h"
#include "gale/postgres/client.h"
#include "log_reader.h"

namespace gale::balances {

std::string_view schema_sql();  // schema_sql.cc, generated from sql/schema.sql

namespace {

// The statements of a SQL script: split at semicolons that end a line (the schema's own
// layout: no semicolon inside a statement's line ends).
std::vector<std::string> statements_of(std::string_view script) {
  std::vector<std::string> out;
  std::string current;
  std::size_t start = 0;
  while (start < script.size()) {
    std::size_t nl = script.find('\n', start);
    if (nl == std::string_view::npos) nl = script.size();
    std::string_view line = script.substr(start, nl - start);
    start = nl + 1;
    if (line.starts_with("--")) continue;
    current += std::string(line) + "\n";
    auto last = line.find_last_not_of(" \t\r");
    if (last != std::string_view::npos && line[last] == ';') {
      out.push_back(current);
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
  return out;
}

int apply_schema(postgres::PostgresClient& client) {
  for (const std::string& statement : statements_of(schema_sql())) {
    auto r = client.query(statement);
    if (!r) {
      std::cerr << "gale-balances schema: " << r.error().message << "\n";
      return 1;
    }
  }
  std::cout << "the balances result tables are ready in " << client.options().describe() << "\n";
  return 0;
}

struct Difference {
  std::string what;
  std::string expected;
  std::string found;
};

int reconcile(postgres::PostgresClient& client, const std::string& bootstrap,
              const std::string& topic, cdc::Format format, std::size_t show) {
  Reconciliation log;
  std::int64_t undecodable = 0;
  auto read = read_topic(bootstrap, topic, [&](const LogRecord& record) {
    auto changes = cdc::decode(format, record.key, record.value);
    if (!changes) {
      ++undecodable;  // the topology dead-letters these too
      return;
    }
    for (const cdc::Change& change : changes.value()) log.add(change);
  });
  if (!read) {
    std::cerr << "gale-balances reconcile: " << read.error().message << "\n";
    return 2;
  }
  auto accounts =
      client.query("SELECT account_id, balance::text FROM balances.account_balance WHERE open");
  auto institutions = client.query(
      "SELECT institution_id, currency, total::text FROM balances.by_institution WHERE accounts "
      "> 0");
  if (!accounts || !institutions) {
    std::cerr << "gale-balances reconcile: "
              << (!accounts ? accounts.error().message : institutions.error().message) << "\n";
    return 2;
  }
  std::vector<Difference> differences;
  std::map<std::string, __int128> tables;
  for (const auto& row : accounts.value().rows) {
    auto value = scaled(row.at(1).value_or(""));
    tables[row.at(0).value_or("")] = value ? *value : -1;
  }
  for (const auto& [id, balance] : log.accounts()) {
    auto it = tables.find(id);
    if (it == tables.end())
      differences.push_back({"account " + id, decimal_text(balance), "missing"});
    else if (it->second != balance)
      differences.push_back({"account " + id, decimal_text(balance), decimal_text(it->second)});
  }
  for (const auto& [id, balance] : tables)
    if (!log.accounts().contains(id))
      differences.push_back({"account " + id, "not open", decimal_text(balance)});
  std::map<std::pair<std::string, std::string>, __int128> totals;
  for (const auto& row : institutions.value().rows) {
    auto value = scaled(row.at(2).value_or(""));
    totals[{row.at(0).value_or(""), row.at(1).value_or("")}] = value ? *value : -1;
  }
  std::size_t checked_totals = 0;
  for (const auto& [institution, currencies] : log.institutions()) {
    for (const auto& [currency, total] : currencies) {
      ++checked_totals;
      auto it = totals.find({institution, currency});
      std::string found = it == totals.end() ? "missing" : decimal_text(it->second);
      if (it == totals.end() || it->second != total)
        differences.push_back(
            {"institution " + institution + " " + currency, decimal_text(total), found});
      if (it != totals.end()) totals.erase(it);
    }
  }
  for (const auto& [key, total] : totals)
    differences.push_back(
        {"institution " + key.first + " " + key.second, "no open account", decimal_text(total)});

  std::cout << fmt::format(
      "reconciled {} records of {}: {} open accounts, {} institution totals; {} differences\n",
      read.value(), topic, log.accounts().size(), checked_totals, differences.size());
  if (undecodable > 0 || log.malformed() > 0)
    std::cout << fmt::format(
        "({} records did not decode and {} account changes were malformed: "
        "the topology dead-letters them too)\n",
        undecodable, log.malformed());
  for (std::size_t i = 0; i < differences.size() && i < show; ++i)
    std::cout << fmt::format("  {}: the log says {}, the tables hold {}\n", differences[i].what,
                             differences[i].expected, differences[i].found);
  return differences.empty() ? 0 : 1;
}

}  // namespace
}  // namespace gale::balances

int main(int argc, char** argv) {
  using namespace gale;
  CLI::App app{"gale-balances: the balances application's result tables"};
  app.require_subcommand(1);
  postgres::ConnectionOptions pg;
  std::string password_file;
  for (CLI::App* sub :
       {app.add_subcommand("schema", "create the result tables (idempotent)"),
        app.add_subcommand("reconcile",
                           "recompute the balances from the CDC topic and compare "
                           "them with the result tables (exit 0: no difference)")}) {
    sub->add_option("--postgres-host", pg.host, "PostgreSQL host")->capture_default_str();
    sub->add_option("--postgres-port", pg.port, "PostgreSQL port")
        ->check(CLI::Range(1, 65535))
        ->capture_default_str();
    sub->add_option("--postgres-database", pg.database, "database")->capture_default_str();
    sub->add_option("--postgres-user", pg.user, "role")->capture_default_str();
    sub->add_option("--postgres-password-file", password_file,
                    "a file whose first line is the role's password (else PGPASSWORD or "
                    "~/.pgpass)")
        ->check(CLI::ExistingFile);
  }
  CLI::App* reconcile = app.get_subcommand("reconcile");
  std::string bootstrap, topic, format_name = "debezium";
  std::size_t show = 20;
  reconcile->add_option("--bootstrap-servers", bootstrap, "Kafka brokers")->required();
  reconcile->add_option("--topic", topic, "the CDC topic the topology reads")->required();
  reconcile->add_option("--format", format_name, "debezium, canal or maxwell")
      ->check(CLI::IsMember({"debezium", "canal", "maxwell"}))
      ->capture_default_str();
  reconcile->add_option("--show", show, "differences to list")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::getline(in, pg.password);
    if (!pg.password.empty() && pg.password.back() == '\r') pg.password.pop_back();
  }

  postgres::PostgresClient client(pg);
  if (app.got_subcommand("schema")) return balances::apply_schema(client);
  return balances::reconcile(client, bootstrap, topic, *cdc::format_named(format_name), show);
}
