// ConnectionOptions, BatchOptions and UpsertMapping from the postgres.* keys: defaults, every
// bad value named, and the upsert's SQL.
#include "gale/postgres/options.h"

#include <gtest/gtest.h>

namespace gale::postgres {
namespace {

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(PostgresOptionsTest, DefaultsAndValues) {
  Config config;
  ConnectionOptions d = ConnectionOptions::from_config(config);
  EXPECT_EQ(d.describe(), "gale@127.0.0.1:5432/postgres");
  EXPECT_EQ(d.timeout.count(), 5000);
  ASSERT_TRUE(config.set(conf::kPort, 6543));
  ASSERT_TRUE(config.set(conf::kDatabase, "results"));
  ASSERT_TRUE(config.set(conf::kUser, "writer"));
  EXPECT_EQ(ConnectionOptions::from_config(config).describe(), "writer@127.0.0.1:6543/results");
  EXPECT_EQ(BatchOptions::from_config(config).batch_size, 200);
}

TEST(PostgresOptionsTest, BadValuesAreNamed) {
  Config config;
  ASSERT_TRUE(config.set(conf::kPort, "abc"));
  EXPECT_EQ(refusal([&] { ConnectionOptions::from_config(config); }),
            "postgres.port: expected an integer in [1, 65535], got \"abc\"");
  Config empty_host;
  ASSERT_TRUE(empty_host.set(conf::kHost, ""));
  EXPECT_EQ(refusal([&] { ConnectionOptions::from_config(empty_host); }),
            "postgres.host: expected a host name or address, got \"\"");
  Config batch;
  ASSERT_TRUE(batch.set(conf::kBatchSize, 0));
  EXPECT_EQ(refusal([&] { BatchOptions::from_config(batch); }),
            "postgres.batch.size: expected an integer in [1, 100000], got 0");
}

Config mapping(const std::string& table, const std::string& columns, const std::string& key,
               const std::string& version = "") {
  Config c;
  EXPECT_TRUE(c.set(conf::kUpsertTable, table));
  EXPECT_TRUE(c.set(conf::kUpsertColumns, columns));
  EXPECT_TRUE(c.set(conf::kUpsertKey, key));
  if (!version.empty()) {
    EXPECT_TRUE(c.set(conf::kUpsertVersion, version));
  }
  return c;
}

TEST(PostgresOptionsTest, AnUpsertMappingBecomesQuotedSqlWithAVersionGuard) {
  UpsertMapping m = UpsertMapping::from_config(
      mapping("balances.account", "id=account, Amount, pos", "id", "pos"));
  EXPECT_EQ(m.qualified_table(), "balances.account");
  EXPECT_EQ(m.fields, (std::vector<std::string>{"account", "Amount", "pos"}));
  EXPECT_EQ(m.upsert_sql(),
            "INSERT INTO \"balances\".\"account\" AS t (\"id\", \"Amount\", \"pos\") VALUES ($1, "
            "$2, $3) ON CONFLICT (\"id\") DO UPDATE SET \"Amount\" = EXCLUDED.\"Amount\", \"pos\" "
            "= EXCLUDED.\"pos\" WHERE t.\"pos\" IS NULL OR t.\"pos\" < EXCLUDED.\"pos\"");
  UpsertMapping plain = UpsertMapping::from_config(mapping("t", "a, b", "a"));
  EXPECT_EQ(plain.upsert_sql(),
            "INSERT INTO \"t\" AS t (\"a\", \"b\") VALUES ($1, $2) ON CONFLICT (\"a\") DO UPDATE "
            "SET \"b\" = EXCLUDED.\"b\"");
}

TEST(PostgresOptionsTest, AMappingThatCannotBeRightIsRefusedNamingTheKey) {
  EXPECT_EQ(refusal([] { UpsertMapping::from_config(Config()); }),
            "postgres.upsert.table: not set; name the table to write");
  EXPECT_EQ(refusal([] { UpsertMapping::from_config(mapping("t; DROP TABLE x", "a, b", "a")); }),
            "postgres.upsert.table: \"t; DROP TABLE x\" is not schema.table or table of plain "
            "identifiers (letters, digits, _; at most 63 bytes)");
  EXPECT_EQ(refusal([] { UpsertMapping::from_config(mapping("t", "a, \"b\"", "a")); }),
            "postgres.upsert.columns: \"\"b\"\" is not a column name (letters, digits, _) or "
            "column=field");
  EXPECT_EQ(refusal([] { UpsertMapping::from_config(mapping("t", "a, b, a", "a")); }),
            "postgres.upsert.columns: column \"a\" is listed twice");
  EXPECT_EQ(refusal([] { UpsertMapping::from_config(mapping("t", "a, b", "c")); }),
            "postgres.upsert.key: \"c\" is not among postgres.upsert.columns (a, b)");
  EXPECT_EQ(refusal([] { UpsertMapping::from_config(mapping("t", "a, b", "a, b")); }),
            "postgres.upsert.columns: every column is in the key; there is nothing to update");
  EXPECT_EQ(refusal([] { UpsertMapping::from_config(mapping("t", "a, b", "a", "v")); }),
            "postgres.upsert.version: \"v\" is not among postgres.upsert.columns (a, b)");
  EXPECT_EQ(refusal([] { UpsertMapping::from_config(mapping("t", "a, b", "a", "a")); }),
            "postgres.upsert.version: \"a\" is a key column");
}

}  // namespace
}  // namespace gale::postgres
