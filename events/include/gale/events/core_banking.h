#pragma once
// A core banking system's database log, as the CDC connectors a bank runs publish it to Kafka:
// institutions -> branches -> accounts, in Debezium's, Canal's or Maxwell's JSON (the formats
// connectors/cdc decodes), with what the balances topology must end up with (the manifest).
// The same options give the same records, byte for byte.
//
// The stream: a snapshot of every institution, branch and account as it stands (Debezium op
// "r", Maxwell bootstrap-insert, Canal INSERT); then postings that change balances (updates),
// new accounts (inserts), closed accounts (deletes) and closed ones opened again (inserts of a
// deleted key); and, for a share of the records, one of the last few records again, as a
// connector redelivers after a failover (the same source position: a duplicate).
//
// Threading: a generator belongs to one thread.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gale::events {

enum class CdcFormat { debezium, canal, maxwell };

struct CoreBankingOptions {
  std::uint64_t seed = 1;
  int institutions = 3;
  int branches = 4;          // per institution
  int accounts = 200;        // at the snapshot
  double duplicates = 0.02;  // 0..1: share of records that redeliver an earlier one
  std::int64_t start_ms = 1'795'478'400'000;  // commit time of the first change (2026-11-24)
  std::int64_t gap_ms = 250;                  // commit time between changes (>= 1)
};

// Empty when the options are usable, else an error naming the field.
std::string validate(const CoreBankingOptions& options);

// One Kafka record: the key and the value. Debezium's key is the row's primary key as JSON
// ({"id": ...}); Maxwell's its own key JSON ({"database", "table", "pk.id"}). Canal sends no
// key (with canal.mq.partitionHash it picks the partition by primary key itself); gale-gen keys
// its records "database.table:id" to the same effect: one row's changes in one partition.
struct CdcRecord {
  std::string key;
  std::string value;
};

// What the changes so far leave in the core system, in minor units (cents).
struct CoreBankingManifest {
  std::map<std::string, std::int64_t> accounts;  // open account id -> balance
  // institution id -> currency -> the sum of its open accounts' balances
  std::map<std::string, std::map<std::string, std::int64_t>> institutions;
  std::int64_t records = 0;     // records emitted
  std::int64_t duplicates = 0;  // of them, redeliveries
  std::string to_json() const;  // amounts as exact decimal strings ("1234.50")
};

class CoreBankingGenerator {
 public:
  // Throws std::invalid_argument with validate()'s message for bad options.
  CoreBankingGenerator(const CoreBankingOptions& options, CdcFormat format);
  ~CoreBankingGenerator();
  CoreBankingGenerator(const CoreBankingGenerator&) = delete;
  CoreBankingGenerator& operator=(const CoreBankingGenerator&) = delete;

  CdcRecord next();
  CoreBankingManifest manifest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gale::events
