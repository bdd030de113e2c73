#pragma once
// The balances application's model: what a core banking log's row changes mean for the result
// tables (an account's state, a branch's institution), the SQL that keeps those tables exact, and
// the reconciliation that recomputes the balances from the log alone.
//
// Source tables (the core banking model of gale-gen core-banking): institutions (id, name),
// branches (id, institution_id), accounts (id, branch_id, currency, product, balance). A
// balance is a state, not a delta: the last change of an account by source position wins, so a
// redelivered change changes nothing and replays are harmless.
//
// Threading: free functions without shared state; a Reconciliation belongs to one thread.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "gale/cdc/change.h"
#include "gale/result.h"

namespace gale::balances {

// The source position as text that sorts as the position does (fixed-width numbers), so a
// single column can fence older changes: "file|offset|sequence|row".
std::string position_text(const cdc::SourcePosition& position);

// An account as a change leaves it. A delete leaves it closed (open = false) with the balance
// it had.
struct AccountState {
  std::string account_id;
  std::string branch_id;
  std::string currency;
  std::string product;
  std::string balance;  // exact decimal text
  bool open = true;
  std::string position;  // position_text
  std::int64_t commit_ms = 0;
};
struct BranchState {
  std::string branch_id;
  std::string institution_id;
  std::string position;
};
struct InstitutionState {
  std::string institution_id;
  std::string name;
  std::string position;
};

// What one change of a source table is for the balances. The error (CdcErrc::malformed) names
// the table and the column that is missing or not as expected, for the dead letters.
Result<AccountState> account_of(const cdc::Change& change);
Result<BranchState> branch_of(const cdc::Change& change);
Result<InstitutionState> institution_of(const cdc::Change& change);

// ---- SQL over the result tables (sql/schema.sql) ------------------------------------------

// The per-connection temporary table where a batch's statements leave their effect on the
// totals (cleared at each commit).
std::string_view delta_table_sql();
// Before an account's change, in the same transaction: waits until no other transaction
// holds the account ($1 account_id; a transaction-scoped advisory lock, released at commit).
// Should two writers ever hold one account (a rebalance, a zombie executor), the second waits
// for the first's commit, and its change, a statement of its own, then reads the account as
// the first left it: the effect on the totals is computed from the true previous state (in read
// committed, where each statement takes its snapshot; two writers taking overlapping accounts'
// locks in different orders can deadlock, which PostgreSQL detects and the batch is retried).
std::string_view account_lock_sql();
// One account's change (after account_lock_sql): upserts balances.account_balance unless the row
// already holds a later position, and records the change's effect on the totals in the delta table.
// Parameters: $1 account_id, $2 branch_id, $3 currency, $4 product, $5 balance, $6 open, $7
// position, $8 commit_ms.
std::string_view account_sql();
// A batch's end: the delta table applied to balances.balance_total (rows locked in key order,
// so concurrent writers never deadlock).
std::string_view apply_totals_sql();
// Every institution's totals as they stand, into balances.balance_history at the minute of the
// source commit time $1 (ms); returns (institution_id, currency, total, accounts).
std::string_view history_sql();

// ---- reconciliation -------------------------------------------------------------------------

// An exact decimal as an integer of 10^-kScale units; nothing for text that is not a decimal
// with at most kScale fractional digits.
inline constexpr int kScale = 6;
std::optional<__int128> scaled(std::string_view decimal);
std::string decimal_text(__int128 scaled_value);  // "-12.5" style, no trailing zeros

// The balances recomputed from the log alone: feed every change (in log order per key), read
// the result.
class Reconciliation {
 public:
  // Changes of other tables are ignored; an account change that does not decode is counted.
  void add(const cdc::Change& change);
  // open account -> balance (scaled)
  const std::map<std::string, __int128>& accounts() const { return open_; }
  // institution -> currency -> total of its open accounts (scaled); accounts whose branch the
  // log never showed are under institution "?".
  std::map<std::string, std::map<std::string, __int128>> institutions() const;
  std::int64_t malformed() const { return malformed_; }

 private:
  struct Account {
    AccountState state;
    __int128 balance = 0;
  };
  std::map<std::string, Account> accounts_;
  std::map<std::string, __int128> open_;
  std::map<std::string, BranchState> branches_;
  std::int64_t malformed_ = 0;
};

}  // namespace gale::balances
