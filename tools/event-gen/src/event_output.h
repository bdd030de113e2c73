#pragma once
// What gale-gen does once its flags are read: generate the events and write them, one JSON
// object per line, to a file or stdout and/or a Kafka topic, with the expected-alerts manifest;
// profiles also (or only) as hashes into Redis.
#include <cstdint>
#include <optional>
#include <string>

#include "gale/events/core_banking.h"
#include "gale/events/generator.h"
#include "gale/redis/options.h"

namespace gale::eventgen {

enum class EventKind { transactions, account_changes, profiles, core_banking };

struct Request {
  EventKind kind = EventKind::transactions;
  events::GeneratorOptions generator;
  // core-banking: the database log in this connector's format (seed, accounts, start and gap
  // are taken from `generator`).
  events::CoreBankingOptions core_banking;
  events::CdcFormat cdc_format = events::CdcFormat::debezium;
  std::int64_t count = 10000;  // transactions or account changes; profiles: one per account
  double rate = 0;             // lines per second; 0 = as fast as possible
  std::string out = "-";       // a file, "-" for stdout, empty for none
  std::string brokers;         // Kafka output when set ...
  std::string topic;           // ... to this topic, keyed by account (profiles: by customer)
  std::string expected;        // transactions: the expected alerts; core-banking: the expected
                               // balances (CoreBankingManifest JSON); empty for none
  double malformed = 0;        // share of deliberately malformed lines, 0 <= malformed < 1
  // Profiles: loaded into this Redis as customer:<id> hashes (redis_profiles.h) when set. With
  // no file and no Kafka output, Redis is the only output.
  std::optional<redis::ConnectionOptions> redis;
};

struct Summary {
  std::int64_t events = 0;
  std::int64_t malformed_lines = 0;
  std::int64_t expected_alerts = 0;
  std::int64_t loaded_into_redis = 0;  // profiles
};

// Opens the file and Kafka outputs first, then loads Redis, then writes the lines. Throws
// std::runtime_error naming what failed (a file it cannot write, Kafka, Redis).
Summary write_events(const Request& request);

}  // namespace gale::eventgen
