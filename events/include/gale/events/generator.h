#pragma once
// A deterministic stream of finance events for demos, tests and benchmarks (docs/EVENTS.md):
// transactions over a population of accounts with planted suspicious patterns, the account
// changes that post them, and the customers' profiles. The same options give the same events,
// byte for byte.
//
// Each planted pattern raises exactly one alert of exactly one rule of risk-alert's default
// rules (default_rules.h), on its last transaction; the rest of the stream (the background)
// raises none. A generator checks every event it emits against those rules before emitting it.
//
// Threading: a generator belongs to one thread; separate generators are independent.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gale/events/events.h"

namespace gale::events {

struct GeneratorOptions {
  std::uint64_t seed = 1;
  int accounts = 1000;       // the population: one customer per account
  double suspicious = 0.01;  // 0..1: about this share of transactions raise an alert
  std::int64_t start_ms = 1'795'478'400'000;  // event time of the first event, 2026-11-24T00:00Z
  std::int64_t gap_ms = 4000;                 // event time between consecutive transactions (>= 1)
};

// Empty when the options are usable, else an error naming the field ("accounts: ...").
std::string validate(const GeneratorOptions& options);

struct ExpectedAlert {
  std::string rule_id;  // as in topologies/risk-alert/rules/default.yaml
  bool operator==(const ExpectedAlert&) const = default;
};

struct GeneratedTransaction {
  Transaction transaction;
  std::vector<ExpectedAlert> expected_alerts;  // what risk-alert must raise for it (0 or 1)
};

class TransactionGenerator {
 public:
  // Throws std::invalid_argument with validate()'s message for bad options.
  explicit TransactionGenerator(const GeneratorOptions& options);
  ~TransactionGenerator();
  TransactionGenerator(const TransactionGenerator&) = delete;
  TransactionGenerator& operator=(const TransactionGenerator&) = delete;

  // The next transaction, in event-time order: ts = start_ms + n * gap_ms, ids "tx-0000000001"
  // upwards. Throws std::runtime_error if no transaction fits without raising an alert (only
  // when the population is far too small for the rate of event time: few accounts, tiny gap).
  GeneratedTransaction next();

  struct Stats {
    std::int64_t transactions = 0;
    std::int64_t planted = 0;    // patterns completed: their alert was emitted
    std::int64_t abandoned = 0;  // patterns given up midway; their earlier steps raise nothing
    std::map<std::string, std::int64_t, std::less<>> planted_by_rule;
  };
  const Stats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The account changes that post the transactions of a TransactionGenerator with the same
// options (one debit per transaction, same ids as transaction_id), with incoming credits
// between them; balances run per account from an opening balance. Event ids "chg-0000000001"
// upwards.
class AccountChangeGenerator {
 public:
  explicit AccountChangeGenerator(const GeneratorOptions& options);
  ~AccountChangeGenerator();
  AccountChangeGenerator(const AccountChangeGenerator&) = delete;
  AccountChangeGenerator& operator=(const AccountChangeGenerator&) = delete;

  AccountChange next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One profile per account of the population (seed and accounts decide it), in account order.
std::vector<CustomerProfile> customer_profiles(const GeneratorOptions& options);

// A manifest line: {"rule":"card-velocity","transaction":"tx-0000000042"}.
std::string manifest_line(const ExpectedAlert& alert, const Transaction& t);

// Deliberately malformed lines for dead-letter tests: each is a corrupted copy of a valid
// event line (cut short, not JSON, a required field missing or of the wrong type, a bad
// amount, channel or timestamp, trailing content) that parse_* refuses. Deterministic for a
// seed.
class MalformedLines {
 public:
  explicit MalformedLines(std::uint64_t seed);
  std::string corrupt(std::string_view valid_json);
  // How many malformed lines to put before the next valid one so that about `share` of all
  // lines are malformed (0 <= share < 1).
  int how_many_before(double share);

 private:
  std::uint64_t state_;
};

}  // namespace gale::events
