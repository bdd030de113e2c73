#include "gale/balances/ledger.h"

#include <fmt/format.h>

namespace gale::balances {

namespace {

using cdc::CdcErrc;

// The row a change leaves (after; before for a delete), and a column of it as text.
const cdc::Row& row_of(const cdc::Change& change) {
  return change.op == cdc::Operation::remove ? change.before : change.after;
}

Result<std::string> column(const cdc::Change& change, std::string_view name) {
  const cdc::Field* field = cdc::find(row_of(change), name);
  if (field == nullptr || field->kind == cdc::Field::Kind::null)
    return make_error(
        CdcErrc::malformed,
        change.qualified_table() + ": the row has no " + std::string(name) +
            (change.op == cdc::Operation::remove ? " in its before image (a delete needs the "
                                                   "full row: binlog_row_image=FULL)"
                                                 : ""));
  if (field->kind == cdc::Field::Kind::json || field->kind == cdc::Field::Kind::boolean)
    return make_error(CdcErrc::malformed, change.qualified_table() + ": column " +
                                              std::string(name) + " is " + field->text +
                                              ", not a value");
  return field->text;
}

}  // namespace

std::string position_text(const cdc::SourcePosition& p) {
  return fmt::format("{}|{:020}|{:020}|{:020}", p.file, p.offset, p.sequence, p.row);
}

Result<AccountState> account_of(const cdc::Change& change) {
  AccountState a;
  auto id = column(change, "id");
  if (!id) return id.error();
  a.account_id = std::move(id.value());
  for (auto [name, out] : {std::pair{"branch_id", &a.branch_id}, std::pair{"currency", &a.currency},
                           std::pair{"product", &a.product}, std::pair{"balance", &a.balance}}) {
    auto value = column(change, name);
    if (!value) return value.error();
    *out = std::move(value.value());
  }
  if (!scaled(a.balance))
    return make_error(CdcErrc::malformed, change.qualified_table() + ": account " + a.account_id +
                                              " has balance \"" + a.balance +
                                              "\", not a decimal with at most " +
                                              std::to_string(kScale) + " fractional digits");
  a.open = change.op != cdc::Operation::remove;
  a.position = position_text(change.position);
  a.commit_ms = change.commit_ms;
  return a;
}

Result<BranchState> branch_of(const cdc::Change& change) {
  BranchState b;
  auto id = column(change, "id");
  if (!id) return id.error();
  auto institution = column(change, "institution_id");
  if (!institution) return institution.error();
  b.branch_id = std::move(id.value());
  b.institution_id = std::move(institution.value());
  b.position = position_text(change.position);
  return b;
}

Result<InstitutionState> institution_of(const cdc::Change& change) {
  InstitutionState i;
  auto id = column(change, "id");
  if (!id) return id.error();
  i.institution_id = std::move(id.value());
  if (const cdc::Field* name = cdc::find(row_of(change), "name");
      name != nullptr && name->kind != cdc::Field::Kind::null)
    i.name = name->text;
  i.position = position_text(change.position);
  return i;
}

std::string_view delta_table_sql() {
  return "CREATE TEMP TABLE IF NOT EXISTS gale_balance_delta (branch_id text NOT NULL, currency "
         "text NOT NULL, product text NOT NULL, amount numeric NOT NULL, accounts bigint NOT "
         "NULL, commit_ms bigint NOT NULL) ON COMMIT DELETE ROWS";
}

std::string_view account_lock_sql() {
  // Two-key form: the first key is this application's lock class ("GALB"), so other users of
  // advisory locks in the database do not collide with it; a hash collision between two
  // accounts only makes them wait for each other.
  return "SELECT pg_advisory_xact_lock(1195461698, hashtext($1))";
}

std::string_view account_sql() {
  // prev and up see the same snapshot: prev is the row before this change (no FOR UPDATE: prev
  // is read after up ran, and a row this command updated would be skipped; up's upsert locks
  // it). Positions compare byte by byte (COLLATE "C"), whatever the database's collation.
  return "WITH prev AS (SELECT branch_id, currency, product, balance, open FROM "
         "balances.account_balance WHERE account_id = $1), "
         "up AS (INSERT INTO balances.account_balance AS a (account_id, branch_id, currency, "
         "product, balance, open, position, commit_ms, updated_at) VALUES ($1, $2, $3, $4, "
         "$5::numeric, $6::boolean, $7, $8::bigint, now()) ON CONFLICT (account_id) DO UPDATE SET "
         "branch_id = EXCLUDED.branch_id, currency = EXCLUDED.currency, product = "
         "EXCLUDED.product, balance = EXCLUDED.balance, open = EXCLUDED.open, position = "
         "EXCLUDED.position, commit_ms = EXCLUDED.commit_ms, updated_at = now() WHERE a.position "
         "COLLATE \"C\" <= EXCLUDED.position COLLATE \"C\" RETURNING branch_id, currency, "
         "product, balance, open, commit_ms) "
         "INSERT INTO pg_temp.gale_balance_delta (branch_id, currency, product, amount, accounts, "
         "commit_ms) SELECT branch_id, currency, product, balance, 1, commit_ms FROM up WHERE open "
         "UNION ALL SELECT p.branch_id, p.currency, p.product, -p.balance, -1, up.commit_ms FROM "
         "prev p CROSS JOIN up WHERE p.open";
}

std::string_view apply_totals_sql() {
  return "INSERT INTO balances.balance_total AS t (branch_id, currency, product, total, "
         "accounts, updated_at) SELECT branch_id, currency, product, sum(amount), sum(accounts), "
         "now() FROM pg_temp.gale_balance_delta GROUP BY branch_id, currency, product ORDER BY "
         "branch_id, currency, product ON CONFLICT (branch_id, currency, product) DO UPDATE SET "
         "total = t.total + EXCLUDED.total, accounts = t.accounts + EXCLUDED.accounts, "
         "updated_at = now()";
}

std::string_view history_sql() {
  return "INSERT INTO balances.balance_history AS h (minute, institution_id, currency, total, "
         "accounts) SELECT date_trunc('minute', to_timestamp($1::bigint / 1000.0)), "
         "institution_id, currency, total, accounts FROM balances.by_institution ORDER BY "
         "institution_id, currency ON CONFLICT (institution_id, currency, minute) DO UPDATE SET "
         "total = EXCLUDED.total, accounts = EXCLUDED.accounts RETURNING institution_id, "
         "currency, total, accounts";
}

std::optional<__int128> scaled(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  __int128 value = 0;
  int fraction = -1;  // digits after the point, -1 before it
  int digits = 0;
  for (char c : text) {
    if (c == '.') {
      if (fraction >= 0) return std::nullopt;
      fraction = 0;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (fraction >= 0 && ++fraction > kScale) return std::nullopt;
    if (++digits > 30) return std::nullopt;  // beyond any balance; keeps within 128 bits
    value = value * 10 + (c - '0');
  }
  if (digits == 0) return std::nullopt;
  for (int i = std::max(fraction, 0); i < kScale; ++i) value *= 10;
  return negative ? -value : value;
}

std::string decimal_text(__int128 v) {
  bool negative = v < 0;
  if (negative) v = -v;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v > 0);
  while (digits.size() <= static_cast<std::size_t>(kScale)) digits.insert(digits.begin(), '0');
  std::string whole = digits.substr(0, digits.size() - kScale);
  std::string fraction = digits.substr(digits.size() - kScale);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return (negative ? "-" : "") + whole + (fraction.empty() ? "" : "." + fraction);
}

void Reconciliation::add(const cdc::Change& change) {
  if (change.table == "branches") {
    auto b = branch_of(change);
    if (!b) return;
    auto [it, fresh] = branches_.try_emplace(b.value().branch_id, b.value());
    if (!fresh && it->second.position <= b.value().position) it->second = b.value();
    return;
  }
  if (change.table != "accounts") return;
  auto a = account_of(change);
  if (!a) {
    ++malformed_;
    return;
  }
  AccountState& state = a.value();
  auto it = accounts_.find(state.account_id);
  if (it != accounts_.end() && state.position < it->second.state.position) return;  // older
  __int128 balance = *scaled(state.balance);
  std::string id = state.account_id;
  if (state.open)
    open_[id] = balance;
  else
    open_.erase(id);
  accounts_.insert_or_assign(std::move(id), Account{std::move(state), balance});
}

std::map<std::string, std::map<std::string, __int128>> Reconciliation::institutions() const {
  std::map<std::string, std::map<std::string, __int128>> out;
  for (const auto& [id, balance] : open_) {
    const AccountState& a = accounts_.at(id).state;
    auto branch = branches_.find(a.branch_id);
    out[branch == branches_.end() ? "?" : branch->second.institution_id][a.currency] += balance;
  }
  return out;
}

}  // namespace gale::balances
