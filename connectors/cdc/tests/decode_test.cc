// The three connectors' formats into one neutral Change: operations, keys, exact values,
// positions, and a clear error for what is not a row change.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gale/cdc/change.h"

namespace gale::cdc {
namespace {

using ::testing::HasSubstr;

Field num(std::string text) {
  return {Field::Kind::number, std::move(text)};
}
Field str(std::string text) {
  return {Field::Kind::string, std::move(text)};
}

std::vector<Change> ok(Format f, std::string_view key, std::string_view value,
                       const DecodeOptions& options = {}) {
  auto r = decode(f, key, value, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : std::vector<Change>{};
}

Error error_of(Format f, std::string_view value, std::string_view key = {}) {
  auto r = decode(f, key, value);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error{} : r.error();
}

// --- Debezium -------------------------------------------------------------------------------

constexpr std::string_view kDebeziumUpdate = R"({
  "before": {"id": 7, "branch_id": 2, "balance": "100.10", "currency": "CNY"},
  "after":  {"id": 7, "branch_id": 2, "balance": "12345678901234567.89", "currency": "CNY"},
  "source": {"version": "2.1.2.Final", "connector": "mysql", "name": "core", "ts_ms": 1764900000000,
             "snapshot": "false", "db": "bank", "table": "accounts", "server_id": 1,
             "file": "binlog.000003", "pos": 4711, "row": 1},
  "op": "u", "ts_ms": 1764900000123})";

TEST(Debezium, AnUpdateWithTheRecordKeyKeepsItsValuesExact) {
  auto changes = ok(Format::debezium, R"({"id": 7})", kDebeziumUpdate);
  ASSERT_EQ(changes.size(), 1u);
  const Change& c = changes[0];
  EXPECT_EQ(c.op, Operation::update);
  EXPECT_EQ(c.qualified_table(), "bank.accounts");
  EXPECT_EQ(c.key, (Row{{"id", num("7")}}));
  // No double on the way: 17 significant digits and two decimals survive as written.
  EXPECT_EQ(*find(c.after, "balance"), str("12345678901234567.89"));
  EXPECT_EQ(*find(c.before, "balance"), str("100.10"));
  EXPECT_EQ(c.position, (SourcePosition{"binlog.000003", 4711, 0, 1}));
  EXPECT_EQ(c.commit_ms, 1764900000000);
  // Whitespace after the document is no trailing content.
  EXPECT_EQ(ok(Format::debezium, R"({"id": 7})", std::string(kDebeziumUpdate) + "\n  ").size(), 1u);
}

TEST(Debezium, SchemaPayloadWrapperAndPreciseDecimalsInBase64) {
  // 1234567 unscaled with scale 2 is 12345.67: bytes 0x12 0xD6 0x87, base64 "EtaH";
  // -1 with scale 2 is -0.01: byte 0xFF, base64 "/w==".
  constexpr std::string_view value = R"({
    "schema": {"type": "struct", "fields": [
      {"type": "struct", "field": "before", "optional": true, "fields": []},
      {"type": "struct", "field": "after", "optional": true, "fields": [
        {"type": "int64", "field": "id"},
        {"type": "bytes", "field": "balance", "name": "org.apache.kafka.connect.data.Decimal",
         "parameters": {"scale": "2", "connect.decimal.precision": "20"}},
        {"type": "bytes", "field": "overdraft", "name": "org.apache.kafka.connect.data.Decimal",
         "parameters": {"scale": "2"}}]}]},
    "payload": {"before": null, "after": {"id": 9, "balance": "EtaH", "overdraft": "/w=="},
                "source": {"db": "bank", "table": "accounts", "file": "binlog.000001", "pos": 10,
                           "row": 0, "ts_ms": 1},
                "op": "c", "ts_ms": 2}})";
  auto changes = ok(Format::debezium, R"({"schema": {}, "payload": {"id": 9}})", value);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].op, Operation::insert);
  EXPECT_EQ(*find(changes[0].after, "balance"), num("12345.67"));
  EXPECT_EQ(*find(changes[0].after, "overdraft"), num("-0.01"));
  EXPECT_EQ(changes[0].key, (Row{{"id", num("9")}}));
}

TEST(Debezium, DeleteSnapshotAndPostgresPositions) {
  auto deleted = ok(Format::debezium, R"({"id": 7})", R"({
    "before": {"id": 7, "balance": "1.00"}, "after": null,
    "source": {"db": "bank", "table": "accounts", "file": "binlog.000004", "pos": 5, "ts_ms": 3},
    "op": "d", "ts_ms": 4})");
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].op, Operation::remove);
  EXPECT_TRUE(deleted[0].after.empty());
  EXPECT_EQ(deleted[0].key, (Row{{"id", num("7")}}));

  DecodeOptions keys;
  keys.key_columns["core.accounts"] = {"id"};
  auto read = ok(Format::debezium, "", R"({
    "before": null, "after": {"id": 1, "balance": "5.00"},
    "source": {"connector": "postgresql", "db": "core", "schema": "public", "table": "accounts",
               "lsn": 24023128, "txId": 555, "ts_ms": 5, "snapshot": "true"},
    "op": "r", "ts_ms": 6})",
                 keys);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].op, Operation::read);
  EXPECT_EQ(read[0].position, (SourcePosition{"", 24023128, 0, 0}));
  EXPECT_EQ(read[0].key, (Row{{"id", num("1")}}));
}

TEST(Debezium, TombstonesAreNoChange) {
  EXPECT_TRUE(ok(Format::debezium, R"({"id": 7})", "").empty());
  EXPECT_TRUE(ok(Format::debezium, R"({"id": 7})", "null").empty());
  EXPECT_TRUE(ok(Format::debezium, "", R"({"schema": null, "payload": null})").empty());
}

TEST(Debezium, WhatIsNotARowChangeIsRefusedNamingWhy) {
  EXPECT_EQ(error_of(Format::debezium, R"({"op": "t", "source": {}})").code,
            make_error_code(CdcErrc::unsupported));
  Error no_op = error_of(Format::debezium, R"({"after": {"id": 1}})");
  EXPECT_EQ(no_op.code, make_error_code(CdcErrc::malformed));
  EXPECT_THAT(no_op.message, HasSubstr("no \"op\""));
  Error no_key = error_of(Format::debezium, R"({
    "after": {"id": 1}, "source": {"db": "b", "table": "t", "file": "f", "pos": 1, "ts_ms": 1},
    "op": "c"})");
  EXPECT_EQ(no_key.code, make_error_code(CdcErrc::no_key));
  EXPECT_THAT(no_key.message, HasSubstr("b.t"));
  EXPECT_EQ(error_of(Format::debezium, "{\"op\": ").code, make_error_code(CdcErrc::not_json));
  Error trailing = error_of(Format::canal, R"({"type": "INSERT"} {"type": "DELETE"})");
  EXPECT_EQ(trailing.code, make_error_code(CdcErrc::not_json));
  EXPECT_THAT(trailing.message, HasSubstr("trailing"));
  Error bad_decimal = error_of(Format::debezium, R"({"schema": {"fields": [{"field": "after",
      "fields": [{"field": "x", "name": "org.apache.kafka.connect.data.Decimal",
                  "parameters": {"scale": "2"}}]}]},
    "payload": {"after": {"id": 1, "x": "not base64!"}, "op": "c",
                "source": {"db": "b", "table": "t", "file": "f", "pos": 1, "ts_ms": 1}}})",
                               R"({"id": 1})");
  EXPECT_THAT(bad_decimal.message, HasSubstr("after.x: not a decimal"));
}

// --- Canal ----------------------------------------------------------------------------------

TEST(Canal, SeveralRowsPerMessageWithOldValuesAndPkNames) {
  auto changes = ok(Format::canal, "", R"({
    "data": [{"id": "1", "balance": "10.50", "branch_id": "2"},
             {"id": "2", "balance": "0.00", "branch_id": null}],
    "old": [{"balance": "9.50"}, {"balance": "1.00"}],
    "database": "bank", "table": "accounts", "pkNames": ["id"], "isDdl": false,
    "type": "UPDATE", "es": 1764900000000, "ts": 1764900000100, "id": 42, "sql": ""})");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].op, Operation::update);
  EXPECT_EQ(changes[0].key, (Row{{"id", str("1")}}));
  EXPECT_EQ(*find(changes[0].after, "balance"), str("10.50"));
  EXPECT_EQ(*find(changes[0].before, "balance"), str("9.50"));
  EXPECT_EQ(*find(changes[0].before, "branch_id"), str("2"));  // unchanged: as after
  EXPECT_EQ(find(changes[1].after, "branch_id")->kind, Field::Kind::null);
  EXPECT_EQ(changes[1].position, (SourcePosition{"", 1764900000000, 42, 0}));
}

// Canal gives every message of a batch the batch's id, and es moves by whole seconds: two
// updates of one row in one batch tie, and both are new; the same message again is not.
TEST(Canal, TiesWithinABatchAreToldApartByContent) {
  auto update = [](const char* balance, const char* old) {
    return std::string(R"({"data": [{"id": "1", "balance": ")") + balance +
           R"("}], "old": [{"balance": ")" + old +
           R"("}], "database": "bank", "table": "accounts", "pkNames": ["id"], "type": "UPDATE",
           "es": 1764900000000, "ts": 1764900000100, "id": 42})";
  };
  auto first = ok(Format::canal, "", update("10.00", "5.00"));
  auto second = ok(Format::canal, "", update("12.00", "10.00"));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0].position, second[0].position);
  Deduplicator seen;
  EXPECT_TRUE(seen.admit(first[0]));
  EXPECT_TRUE(seen.admit(second[0])) << "a second change of the row in the same batch and second";
  EXPECT_FALSE(seen.admit(second[0])) << "the same message redelivered";
}

TEST(Canal, DeletesAndDdl) {
  auto deleted = ok(Format::canal, "", R"({"data": [{"id": "5", "balance": "0.00"}],
    "old": null, "database": "bank", "table": "accounts", "pkNames": ["id"], "isDdl": false,
    "type": "DELETE", "es": 1, "ts": 2, "id": 3})");
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].op, Operation::remove);
  EXPECT_EQ(*find(deleted[0].before, "id"), str("5"));
  Error ddl = error_of(Format::canal, R"({"data": null, "database": "bank", "table": "accounts",
    "isDdl": true, "type": "ALTER", "es": 1, "ts": 2, "id": 3, "sql": "ALTER TABLE ..."})");
  EXPECT_EQ(ddl.code, make_error_code(CdcErrc::unsupported));
  EXPECT_THAT(ddl.message, HasSubstr("DDL"));
  Error ragged = error_of(Format::canal, R"({"data": [{"id": "1"}, {"id": "2"}],
    "old": [{"id": "0"}], "database": "b", "table": "t", "pkNames": ["id"], "type": "UPDATE",
    "es": 1, "id": 1})");
  EXPECT_THAT(ragged.message, HasSubstr("one entry per row"));
  Error ts = error_of(Format::canal, R"({"data": [{"id": "1"}], "database": "b", "table": "t",
    "pkNames": ["id"], "type": "INSERT", "es": 1, "ts": "yesterday", "id": 1})");
  EXPECT_THAT(ts.message, HasSubstr("\"ts\" is not a number"));
  Error batch = error_of(Format::canal, R"({"data": [{"id": "1"}], "database": "b", "table": "t",
    "pkNames": ["id"], "type": "INSERT", "es": 1, "ts": 2, "id": "x"})");
  EXPECT_THAT(batch.message, HasSubstr("\"id\" (the batch id) is not a number"));
}

// --- Maxwell --------------------------------------------------------------------------------

TEST(Maxwell, UpdateWithPositionAndPrimaryKeyColumns) {
  auto changes = ok(Format::maxwell, "", R"({"database": "bank", "table": "accounts",
    "type": "update", "ts": 1764900000, "xid": 940752, "xoffset": 3, "commit": true,
    "position": "master.000006:800911", "primary_key_columns": ["id"],
    "data": {"id": 7, "balance": 2500.75}, "old": {"balance": 2000.25}})");
  ASSERT_EQ(changes.size(), 1u);
  const Change& c = changes[0];
  EXPECT_EQ(c.op, Operation::update);
  EXPECT_EQ(*find(c.after, "balance"), num("2500.75"));
  EXPECT_EQ(*find(c.before, "balance"), num("2000.25"));
  EXPECT_EQ(c.position, (SourcePosition{"master.000006", 800911, 0, 3}));
  // The last row of a transaction has "commit": true and no xoffset: it sorts after the rest.
  auto last = ok(Format::maxwell, "", R"({"database": "bank", "table": "accounts",
    "type": "update", "ts": 1764900000, "xid": 940752, "commit": true,
    "position": "master.000006:800911", "primary_key_columns": ["id"],
    "data": {"id": 7, "balance": 2600.75}, "old": {"balance": 2500.75}})");
  ASSERT_EQ(last.size(), 1u);
  EXPECT_LT(c.position, last[0].position);
  EXPECT_EQ(c.commit_ms, 1764900000000);
  EXPECT_EQ(c.key, (Row{{"id", num("7")}}));
}

// A JSON column (MySQL's JSON type) stays JSON: a json field holding the text, escapes kept.
TEST(Maxwell, AJsonColumnIsKeptAsJsonText) {
  auto changes = ok(Format::maxwell, "", R"({"database": "bank", "table": "accounts",
    "type": "insert", "ts": 1, "primary_key_columns": ["id"],
    "data": {"id": 1, "meta": {"tags": ["vip", "say \"hi\""], "limit": 1e3}}})");
  ASSERT_EQ(changes.size(), 1u);
  const Field* meta = find(changes[0].after, "meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->kind, Field::Kind::json);
  EXPECT_EQ(meta->text, R"({"tags":["vip","say \"hi\""],"limit":1e3})");
}

TEST(Maxwell, BootstrapRowsMarkersAndConfiguredKeys) {
  DecodeOptions keys;
  keys.key_columns["bank.accounts"] = {"id"};
  auto row = ok(Format::maxwell, "", R"({"database": "bank", "table": "accounts",
    "type": "bootstrap-insert", "ts": 1, "data": {"id": 1, "balance": 0.1}})",
                keys);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0].op, Operation::read);
  EXPECT_TRUE(ok(Format::maxwell, "", R"({"database": "bank", "table": "accounts",
    "type": "bootstrap-start", "ts": 1, "data": {}})")
                  .empty());
  Error ddl = error_of(Format::maxwell, R"({"type": "table-alter", "database": "bank"})");
  EXPECT_EQ(ddl.code, make_error_code(CdcErrc::unsupported));
  Error position = error_of(Format::maxwell, R"({"database": "b", "table": "t",
    "type": "insert", "ts": 1, "position": "no-offset", "data": {"id": 1}})");
  EXPECT_THAT(position.message, HasSubstr("binlog-file:offset"));
}

// --- Redelivery -----------------------------------------------------------------------------

TEST(Deduplicator, ARedeliveredChangeIsRecognisedByItsPosition) {
  auto first = ok(Format::debezium, R"({"id": 7})", kDebeziumUpdate);
  auto again = ok(Format::debezium, R"({"id": 7})", kDebeziumUpdate);
  ASSERT_EQ(first.size(), 1u);
  Deduplicator seen;
  EXPECT_TRUE(seen.admit(first[0]));
  EXPECT_FALSE(seen.admit(again[0])) << "the same position twice";
  Change later = first[0];
  later.position.row += 1;
  EXPECT_TRUE(seen.admit(later));
  EXPECT_FALSE(seen.admit(first[0])) << "an older position after a newer one";
  Change other_row = first[0];
  other_row.key = {{"id", num("8")}};
  EXPECT_TRUE(seen.admit(other_row)) << "positions are per row";
  EXPECT_EQ(seen.rows(), 2u);
}

}  // namespace
}  // namespace gale::cdc
