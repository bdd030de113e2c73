#include "gale/events/core_banking.h"

#include <fmt/format.h>

#include <deque>
#include <stdexcept>

#include "gale/events/events.h"
#include "json_writer.h"
#include "rng.h"

namespace gale::events {
namespace {

constexpr std::string_view kDatabase = "core";
constexpr std::size_t kRedeliveryWindow = 32;  // a failover replays from this far back at most

// One column of a row: a string, or an amount in minor units.
struct Column {
  std::string name;
  std::string text;
  std::int64_t minor = 0;
  bool amount = false;
};
using Row = std::vector<Column>;

enum class Op { read, insert, update, remove };

struct RowChange {
  std::string table;
  Op op = Op::insert;
  Row before;  // update, remove
  Row after;   // read, insert, update
};

// `row` as a JSON object. Amounts as strings (`amounts_as_numbers`: as JSON numbers, exact);
// `all_strings`: every value a string (Canal).
std::string object_of(const Row& row, bool amounts_as_numbers) {
  std::string out = "{";
  for (const Column& c : row) {
    if (out.size() > 1) out += ',';
    append_string(out, c.name);
    out += ':';
    if (c.amount && amounts_as_numbers)
      append_amount(out, c.minor);
    else
      append_string(out, c.amount ? format_amount(c.minor) : c.text);
  }
  return out + "}";
}

// The columns of `after` whose value differs in `before`, with before's values.
Row changed_columns(const Row& before, const Row& after) {
  Row out;
  for (std::size_t i = 0; i < before.size() && i < after.size(); ++i)
    if (before[i].text != after[i].text || before[i].minor != after[i].minor)
      out.push_back(before[i]);
  return out;
}

const Column& id_of(const Row& row) {
  return row.front();
}  // every table's key is "id", first

}  // namespace

struct CoreBankingGenerator::State {
  struct Account {
    std::string branch;
    std::string currency;
    std::string product;
    std::int64_t balance = 0;
    bool open = true;
  };

  State(const CoreBankingOptions& o, CdcFormat f) : options(o), format(f), rng(o.seed) {}

  CoreBankingOptions options;
  CdcFormat format;
  Rng rng;
  std::vector<std::string> branches;
  std::map<std::string, Account> accounts;  // by id
  std::vector<std::string> account_ids;     // every account ever opened, for picking
  std::deque<RowChange> snapshot;
  std::deque<CdcRecord> recent;  // for redelivery
  int next_account = 1;
  std::uint64_t position = 4;  // binlog offset of the next change
  std::uint64_t sequence = 0;  // Canal message id / Maxwell xid
  std::int64_t commit_ms = 0;
  std::int64_t records = 0;
  std::int64_t duplicates = 0;

  Row account_row(const std::string& id, const Account& a) const {
    return {{"id", id},
            {"branch_id", a.branch},
            {"currency", a.currency},
            {"product", a.product},
            {"balance", "", a.balance, true}};
  }

  std::string open_account(std::int64_t balance) {
    static const std::vector<std::string> currencies = {"CNY", "CNY", "CNY", "USD", "HKD"};
    static const std::vector<std::string> products = {"current", "savings", "payroll"};
    std::string id = fmt::format("acct-{:06}", next_account++);
    accounts[id] = {rng.pick(branches), rng.pick(currencies), rng.pick(products), balance, true};
    account_ids.push_back(id);
    return id;
  }

  RowChange next_change() {
    const double roll = rng.unit();
    const std::string id = rng.pick(account_ids);  // a copy: open_account may grow the list
    Account& a = accounts[id];
    if (roll < 0.04) {  // a new account
      std::string fresh = open_account(rng.between(0, 500'000));
      return {"accounts", Op::insert, {}, account_row(fresh, accounts[fresh])};
    }
    if (roll < 0.07 && a.open) {  // closed
      a.open = false;
      return {"accounts", Op::remove, account_row(id, a), {}};
    }
    if (!a.open) {  // opened again under the same id
      a.open = true;
      a.balance = rng.between(0, 100'000);
      return {"accounts", Op::insert, {}, account_row(id, a)};
    }
    // A posting: the balance moves, never below zero.
    Row before = account_row(id, a);
    std::int64_t amount = rng.between(-200'000, 200'000);
    if (a.balance + amount < 0) amount = -amount;
    a.balance += amount;
    return {"accounts", Op::update, std::move(before), account_row(id, a)};
  }

  // What the records emitted so far say (the manifest): the generator's own state runs ahead
  // of them by the snapshot not yet written.
  std::map<std::string, std::string> published_branches;  // branch -> institution
  struct Published {
    std::string branch, currency;
    std::int64_t balance = 0;
  };
  std::map<std::string, Published> published_accounts;

  void publish(const RowChange& c) {
    const Row& row = c.op == Op::remove ? c.before : c.after;
    if (c.table == "branches") published_branches[id_of(row).text] = row[1].text;
    if (c.table != "accounts") return;
    if (c.op == Op::remove)
      published_accounts.erase(id_of(row).text);
    else
      published_accounts[id_of(row).text] = {row[1].text, row[2].text, row[4].minor};
  }

  CdcRecord encode(const RowChange& c) {
    publish(c);
    position += 100 + rng.below(300);
    ++sequence;
    commit_ms += options.gap_ms;
    switch (format) {
      case CdcFormat::debezium:
        return debezium(c);
      case CdcFormat::canal:
        return canal(c);
      case CdcFormat::maxwell:
        return maxwell(c);
    }
    return {};
  }

  // decimal.handling.mode=string, schemas off: the envelope bare, amounts as strings.
  CdcRecord debezium(const RowChange& c) const {
    static constexpr std::string_view ops = "rcud";
    const Row& row = c.op == Op::remove ? c.before : c.after;
    std::string key = "{\"id\":";
    append_string(key, id_of(row).text);
    key += '}';
    std::string value = "{\"before\":";
    value += c.before.empty() ? "null" : object_of(c.before, false);
    value += ",\"after\":";
    value += c.after.empty() ? "null" : object_of(c.after, false);
    value += fmt::format(
        ",\"source\":{{\"version\":\"2.1.2.Final\",\"connector\":\"mysql\",\"name\":\"core\","
        "\"ts_ms\":{},\"snapshot\":\"{}\",\"db\":\"{}\",\"table\":\"{}\",\"server_id\":1,"
        "\"file\":\"binlog.000001\",\"pos\":{},\"row\":0}},\"op\":\"{}\",\"ts_ms\":{}}}",
        commit_ms, c.op == Op::read ? "true" : "false", kDatabase, c.table, position,
        ops[static_cast<std::size_t>(c.op)], commit_ms + 7);
    return {std::move(key), std::move(value)};
  }

  // The flat message, one row per message; every value a string.
  CdcRecord canal(const RowChange& c) const {
    static constexpr std::string_view types[] = {"INSERT", "INSERT", "UPDATE", "DELETE"};
    const Row& row = c.op == Op::remove ? c.before : c.after;
    std::string value = "{\"data\":[" + object_of(row, false) + "],\"old\":";
    value += c.op == Op::update ? "[" + object_of(changed_columns(c.before, c.after), false) + "]"
                                : std::string("null");
    value += fmt::format(
        ",\"database\":\"{}\",\"table\":\"{}\",\"pkNames\":[\"id\"],\"isDdl\":false,"
        "\"type\":\"{}\",\"es\":{},\"ts\":{},\"id\":{},\"sql\":\"\"}}",
        kDatabase, c.table, types[static_cast<std::size_t>(c.op)], commit_ms, commit_ms + 7,
        sequence);
    return {fmt::format("{}.{}:{}", kDatabase, c.table, id_of(row).text), std::move(value)};
  }

  // With output_binlog_position and output_primary_key_columns; amounts as exact numbers.
  CdcRecord maxwell(const RowChange& c) const {
    static constexpr std::string_view types[] = {"bootstrap-insert", "insert", "update", "delete"};
    const Row& row = c.op == Op::remove ? c.before : c.after;
    std::string value = fmt::format(
        "{{\"database\":\"{}\",\"table\":\"{}\",\"type\":\"{}\",\"ts\":{},\"xid\":{},"
        "\"commit\":true,\"position\":\"binlog.000001:{}\","
        "\"primary_key_columns\":[\"id\"],\"data\":{}",
        kDatabase, c.table, types[static_cast<std::size_t>(c.op)], commit_ms / 1000, sequence,
        position, object_of(row, true));
    if (c.op == Op::update)
      value += ",\"old\":" + object_of(changed_columns(c.before, c.after), true);
    std::string key =
        fmt::format("{{\"database\":\"{}\",\"table\":\"{}\",\"pk.id\":", kDatabase, c.table);
    append_string(key, id_of(row).text);
    return {key + "}", value + "}"};
  }
};

std::string validate(const CoreBankingOptions& o) {
  if (o.institutions < 1 || o.institutions > 99) return "institutions: must be 1..99";
  if (o.branches < 1 || o.branches > 99) return "branches: must be 1..99";
  if (o.accounts < 1 || o.accounts > 999'999) return "accounts: must be 1..999999";
  if (!(o.duplicates >= 0 && o.duplicates < 1)) return "duplicates: must be in [0, 1)";
  if (o.gap_ms < 1 || o.gap_ms > 86'400'000)
    return "gap_ms: must be between 1 and 86400000 (a day)";
  if (o.start_ms < 0 || o.start_ms > 4'102'444'800'000)  // the positions stay unsigned
    return "start_ms: must be between 1970-01-01 and 2100-01-01";
  return "";
}

CoreBankingGenerator::CoreBankingGenerator(const CoreBankingOptions& options, CdcFormat format) {
  if (std::string problem = validate(options); !problem.empty())
    throw std::invalid_argument(problem);
  state_ = std::make_unique<State>(options, format);
  State& s = *state_;
  s.commit_ms = options.start_ms - options.gap_ms;
  for (int i = 1; i <= options.institutions; ++i) {
    std::string institution = fmt::format("inst-{:02}", i);
    s.snapshot.push_back({"institutions",
                          Op::read,
                          {},
                          {{"id", institution}, {"name", fmt::format("Institution {}", i)}}});
    for (int b = 1; b <= options.branches; ++b) {
      std::string branch = fmt::format("br-{:02}-{:02}", i, b);
      s.branches.push_back(branch);
      s.snapshot.push_back(
          {"branches", Op::read, {}, {{"id", branch}, {"institution_id", institution}}});
    }
  }
  for (int a = 0; a < options.accounts; ++a) {
    std::string id = s.open_account(s.rng.between(0, 10'000'000));
    s.snapshot.push_back({"accounts", Op::read, {}, s.account_row(id, s.accounts[id])});
  }
}

CoreBankingGenerator::~CoreBankingGenerator() = default;

CdcRecord CoreBankingGenerator::next() {
  State& s = *state_;
  ++s.records;
  if (s.snapshot.empty() && !s.recent.empty() && s.rng.chance(s.options.duplicates)) {
    ++s.duplicates;
    return s.recent[s.rng.below(s.recent.size())];
  }
  CdcRecord record;
  if (!s.snapshot.empty()) {
    record = s.encode(s.snapshot.front());
    s.snapshot.pop_front();
  } else {
    record = s.encode(s.next_change());
  }
  s.recent.push_back(record);
  if (s.recent.size() > kRedeliveryWindow) s.recent.pop_front();
  return record;
}

CoreBankingManifest CoreBankingGenerator::manifest() const {
  const State& s = *state_;
  CoreBankingManifest m;
  m.records = s.records;
  m.duplicates = s.duplicates;
  for (const auto& [id, a] : s.published_accounts) {
    m.accounts[id] = a.balance;
    m.institutions[s.published_branches.at(a.branch)][a.currency] += a.balance;
  }
  return m;
}

std::string CoreBankingManifest::to_json() const {
  std::string out =
      fmt::format("{{\"records\":{},\"duplicates\":{},\"accounts\":{{", records, duplicates);
  bool first = true;
  for (const auto& [id, minor] : accounts) {
    if (!first) out += ',';
    first = false;
    append_string(out, id);
    out += ':';
    append_string(out, format_amount(minor));
  }
  out += "},\"institutions\":{";
  first = true;
  for (const auto& [institution, currencies] : institutions) {
    if (!first) out += ',';
    first = false;
    append_string(out, institution);
    out += ":{";
    bool first_currency = true;
    for (const auto& [currency, minor] : currencies) {
      if (!first_currency) out += ',';
      first_currency = false;
      append_string(out, currency);
      out += ':';
      append_string(out, format_amount(minor));
    }
    out += '}';
  }
  return out + "}}";
}

}  // namespace gale::events
