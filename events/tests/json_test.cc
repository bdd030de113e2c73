// The event schemas' JSON: every field's error names the field, round trips are exact, amounts
// and timestamps convert exactly both ways.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "gale/events/events.h"
#include "gale/events/generator.h"

namespace gale::events {
namespace {

using nlohmann::json;

Transaction sample_transaction() {
  Transaction t;
  t.id = "tx-0000000042";
  t.account = "acct-000042";
  t.card = "card-000042-1";
  t.customer = "cust-000042";
  t.amount_minor = 125050;
  t.currency = "EUR";
  t.channel = Channel::pos;
  t.counterparty = "merch-ams-0012";
  t.city = "Amsterdam";
  t.lat = 52.3676;
  t.lon = 4.9041;
  t.device = "";
  t.ts_ms = *parse_timestamp("2026-11-24T10:15:00.123Z");
  return t;
}

AccountChange sample_change() {
  AccountChange c;
  c.event_id = "chg-0000000007";
  c.account = "acct-000042";
  c.customer = "cust-000042";
  c.kind = "debit";
  c.amount_minor = 125050;
  c.balance_before_minor = 105051;
  c.balance_after_minor = -19999;
  c.currency = "EUR";
  c.transaction_id = "tx-0000000042";
  c.description = "Card payment merch-ams-0012";
  c.ts_ms = *parse_timestamp("2026-11-24T10:15:00.123Z");
  return c;
}

CustomerProfile sample_profile() {
  return {"cust-000042", "+31612340042", "Jürgen Müller", "de", 250'00, true};
}

json transaction_json() {
  return json::parse(to_json(sample_transaction()));
}
json change_json() {
  return json::parse(to_json(sample_change()));
}
json profile_json() {
  return json::parse(to_json(sample_profile()));
}

std::string tx_error(const json& j) {
  auto parsed = parse_transaction(j.dump());
  return parsed ? "" : parsed.error().message;
}
std::string change_error(const json& j) {
  auto parsed = parse_account_change(j.dump());
  return parsed ? "" : parsed.error().message;
}
std::string profile_error(const json& j) {
  auto parsed = parse_customer_profile(j.dump());
  return parsed ? "" : parsed.error().message;
}

template <typename F>
json with(json j, F change) {
  change(j);
  return j;
}

TEST(TransactionJsonTest, WritesTheDocumentedFields) {
  EXPECT_EQ(to_json(sample_transaction()),
            R"({"id":"tx-0000000042","account":"acct-000042","card":"card-000042-1",)"
            R"("customer":"cust-000042","amount":1250.50,"currency":"EUR","channel":"pos",)"
            R"("counterparty":"merch-ams-0012","city":"Amsterdam","lat":52.3676,"lon":4.9041,)"
            R"("device":"","ts":"2026-11-24T10:15:00.123Z"})");
}

TEST(TransactionJsonTest, RoundTripIsExact) {
  Transaction t = sample_transaction();
  t.city = "Zürich \"Bahnhof\" \\ ☃ 🚆";
  t.counterparty = "line\nbreak\ttab\x01\x1f";
  t.device = "dev-\u00e9";
  t.lat = -33.868820000000001;
  t.lon = 151.20929;
  for (Channel c :
       {Channel::pos, Channel::atm, Channel::online, Channel::mobile, Channel::counter}) {
    t.channel = c;
    auto back = parse_transaction(to_json(t));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back.value(), t);
  }
}

TEST(TransactionJsonTest, EscapesControlCharactersAsJsonRequires) {
  Transaction t = sample_transaction();
  t.counterparty = "a\"b\\c\nd\x01";
  EXPECT_NE(to_json(t).find(R"("counterparty":"a\"b\\c\nd\u0001")"), std::string::npos);
  EXPECT_EQ(json::parse(to_json(t))["counterparty"], t.counterparty);
}

TEST(TransactionJsonTest, GeneratedTransactionsRoundTrip) {
  TransactionGenerator generator({.seed = 7, .accounts = 100, .suspicious = 0.2});
  for (int i = 0; i < 3000; ++i) {
    Transaction t = generator.next().transaction;
    auto back = parse_transaction(to_json(t));
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back.value(), t) << to_json(t);
  }
}

TEST(TransactionJsonTest, FieldOrderDoesNotMatterAndUnknownFieldsAreSkipped) {
  auto parsed = parse_transaction(
      R"({"ts":"2026-11-24T10:15:00.123Z","extra":{"nested":[1,2,{"x":null}]},"lon":4.9041,)"
      R"("lat":52.3676,"city":"Amsterdam","counterparty":"merch-ams-0012","channel":"pos",)"
      R"("currency":"EUR","amount":1250.5,"customer":"cust-000042","card":"card-000042-1",)"
      R"("account":"acct-000042","id":"tx-0000000042"})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed.value(), sample_transaction());
}

TEST(TransactionJsonTest, CardDeviceAndLocationMayBeLeftOut) {
  json j = transaction_json();
  j.erase("card");
  j["device"] = nullptr;
  j.erase("city");
  j.erase("lat");
  j.erase("lon");
  auto parsed = parse_transaction(j.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->card, "");
  EXPECT_EQ(parsed->device, "");
  EXPECT_EQ(parsed->lat, 0);
  EXPECT_EQ(parsed->lon, 0);
}

TEST(TransactionJsonTest, MissingRequiredFieldIsNamed) {
  for (const char* field :
       {"id", "account", "customer", "amount", "currency", "channel", "counterparty", "ts"}) {
    EXPECT_EQ(tx_error(with(transaction_json(), [&](json& j) { j.erase(field); })),
              std::string("missing field '") + field + "'");
  }
  EXPECT_EQ(tx_error(with(transaction_json(), [](json& j) { j.erase("lon"); })),
            "missing field 'lon' (lat is given)");
  EXPECT_EQ(tx_error(with(transaction_json(), [](json& j) { j.erase("lat"); })),
            "missing field 'lat' (lon is given)");
}

TEST(TransactionJsonTest, WrongTypeIsNamedForEveryField) {
  auto set = [](const char* field, json value) {
    return tx_error(with(transaction_json(), [&](json& j) { j[field] = value; }));
  };
  for (const char* field : {"id", "account", "card", "customer", "currency", "channel",
                            "counterparty", "city", "device", "ts"})
    EXPECT_EQ(set(field, 12), std::string(field) + ": expected a string");
  EXPECT_EQ(set("amount", "1250.50"), "amount: expected a number");
  EXPECT_EQ(set("amount", nullptr), "amount: expected a number");
  EXPECT_EQ(set("lat", "52.1"), "lat: expected a number");
  EXPECT_EQ(set("lon", true), "lon: expected a number");
  EXPECT_EQ(set("account", nullptr), "account: expected a string");
}

TEST(TransactionJsonTest, BadValuesAreNamed) {
  auto set = [](const char* field, json value) {
    return tx_error(with(transaction_json(), [&](json& j) { j[field] = value; }));
  };
  EXPECT_EQ(set("channel", "teller"),
            R"(channel: unknown channel "teller" (expected pos, atm, online, mobile or counter))");
  EXPECT_EQ(set("channel", "POS"),
            R"(channel: unknown channel "POS" (expected pos, atm, online, mobile or counter))");
  EXPECT_EQ(
      set("ts", "yesterday"),
      R"(ts: expected an RFC 3339 timestamp like "2026-11-24T10:15:00.123Z", got "yesterday")");
  EXPECT_EQ(set("currency", "euro"),
            R"(currency: expected an ISO 4217 code like "EUR", got "euro")");
  EXPECT_EQ(set("id", ""), "id: must not be empty");
  EXPECT_EQ(set("counterparty", ""), "counterparty: must not be empty");
  EXPECT_EQ(set("lat", 91), "lat: out of range (-90..90)");
  EXPECT_EQ(set("lon", -180.5), "lon: out of range (-180..180)");
  EXPECT_EQ(set("amount", 0), "amount: must be greater than 0");
  EXPECT_EQ(set("amount", -5), "amount: must be greater than 0");
  EXPECT_EQ(set("amount", 12.345), "amount: more than 2 decimals");
  EXPECT_EQ(set("amount", 1e300), "amount: out of range");
}

TEST(TransactionJsonTest, EachErrorCarriesTheEventsErrcItsMessageSays) {
  EXPECT_STREQ(events_category().name(), "gale.events");
  EXPECT_EQ(parse_transaction("42").code(), EventsErrc::not_json);
  EXPECT_EQ(parse_transaction("{").code(), EventsErrc::not_json);
  EXPECT_EQ(parse_transaction(to_json(sample_transaction()) + " x").code(), EventsErrc::not_json);
  auto tx = [](auto change) { return parse_transaction(with(transaction_json(), change).dump()); };
  EXPECT_EQ(tx([](json& j) { j.erase("account"); }).code(), EventsErrc::missing_field);
  EXPECT_EQ(tx([](json& j) { j.erase("lon"); }).code(), EventsErrc::missing_field);
  EXPECT_EQ(tx([](json& j) { j["amount"] = "1250.50"; }).code(), EventsErrc::invalid_field);
  EXPECT_EQ(tx([](json& j) { j["channel"] = "teller"; }).code(), EventsErrc::invalid_field);
  EXPECT_EQ(parse_account_change(with(change_json(), [](json& j) { j["kind"] = "refund"; }).dump())
                .code(),
            EventsErrc::invalid_field);
  EXPECT_EQ(
      parse_customer_profile(with(profile_json(), [](json& j) { j.erase("phone"); }).dump()).code(),
      EventsErrc::missing_field);
  EXPECT_TRUE(parse_transaction(to_json(sample_transaction())).code() == std::error_code{});
}

TEST(TransactionJsonTest, MalformedJsonIsNotJson) {
  for (std::string_view text :
       {"", "{", "not json", R"({"id":"x",})", R"({"id":"x" "account":"y"})",
        R"({"id":"unterminated})", "{\"id\":\"\xff\"}"}) {
    auto parsed = parse_transaction(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().message.rfind("not JSON: ", 0), 0u)
        << text << " -> " << parsed.error().message;
  }
  EXPECT_EQ(parse_transaction("[1,2]").error().message, "not JSON: expected an object");
  EXPECT_EQ(parse_transaction("42").error().message, "not JSON: expected an object");
  for (std::string trailing : {" x", "{}", " 42", "]"}) {
    auto parsed = parse_transaction(to_json(sample_transaction()) + trailing);
    ASSERT_FALSE(parsed) << trailing;
    EXPECT_EQ(parsed.error().message.rfind("not JSON: ", 0), 0u)
        << trailing << " -> " << parsed.error().message;
  }
  EXPECT_TRUE(parse_transaction(to_json(sample_transaction()) + " \n"));
}

TEST(TransactionJsonTest, AmountWithANumberTokenThatIsNotJsonIsRefused) {
  std::string text = to_json(sample_transaction());
  std::string bad = text.replace(text.find("1250.50"), 7, "1250.5x");
  EXPECT_FALSE(parse_transaction(bad));
}

TEST(AccountChangeJsonTest, RoundTripIsExact) {
  AccountChange c = sample_change();
  c.description = "Überweisung \"Miete\"\n";
  auto back = parse_account_change(to_json(c));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back.value(), c);
  EXPECT_EQ(change_json()["balance_after"].dump(), "-199.99");
}

TEST(AccountChangeJsonTest, ErrorsNameTheField) {
  for (const char* field : {"event_id", "account", "customer", "kind", "amount", "balance_before",
                            "balance_after", "currency", "transaction_id", "ts"}) {
    EXPECT_EQ(change_error(with(change_json(), [&](json& j) { j.erase(field); })),
              std::string("missing field '") + field + "'");
  }
  EXPECT_EQ(change_error(with(change_json(), [](json& j) { j.erase("description"); })), "");
  auto set = [](const char* field, json value) {
    return change_error(with(change_json(), [&](json& j) { j[field] = value; }));
  };
  EXPECT_EQ(set("kind", "refund"), R"(kind: expected "debit" or "credit", got "refund")");
  EXPECT_EQ(set("balance_before", "10"), "balance_before: expected a number");
  EXPECT_EQ(set("balance_after", 0.001), "balance_after: more than 2 decimals");
  EXPECT_EQ(set("amount", -1), "amount: must be greater than 0");
  EXPECT_EQ(set("balance_after", -12.5), "");
  EXPECT_EQ(set("description", 5), "description: expected a string");
  EXPECT_EQ(
      set("ts", "2026-11-24"),
      R"(ts: expected an RFC 3339 timestamp like "2026-11-24T10:15:00.123Z", got "2026-11-24")");
}

TEST(CustomerProfileJsonTest, RoundTripIsExact) {
  EXPECT_EQ(to_json(sample_profile()),
            R"({"customer":"cust-000042","phone":"+31612340042","name":"Jürgen Müller",)"
            R"("language":"de","notify_threshold":250.00,"opted_in":true})");
  auto back = parse_customer_profile(to_json(sample_profile()));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back.value(), sample_profile());
}

TEST(CustomerProfileJsonTest, ErrorsNameTheField) {
  for (const char* field :
       {"customer", "phone", "name", "language", "notify_threshold", "opted_in"}) {
    EXPECT_EQ(profile_error(with(profile_json(), [&](json& j) { j.erase(field); })),
              std::string("missing field '") + field + "'");
  }
  auto set = [](const char* field, json value) {
    return profile_error(with(profile_json(), [&](json& j) { j[field] = value; }));
  };
  EXPECT_EQ(set("phone", "0612340042"), R"(phone: expected an E.164 number like "+31612340042")");
  EXPECT_EQ(set("language", "Dutch"), R"(language: expected a two-letter language code like "nl")");
  EXPECT_EQ(set("opted_in", "yes"), "opted_in: expected true or false");
  EXPECT_EQ(set("notify_threshold", "100"), "notify_threshold: expected a number");
  EXPECT_EQ(set("notify_threshold", -1), "notify_threshold: must not be negative");
  EXPECT_EQ(set("notify_threshold", 0), "");
}

TEST(AmountTest, MajorUnitsConvertExactly) {
  EXPECT_EQ(parse_amount("0.1"), 10);
  EXPECT_EQ(parse_amount("0.01"), 1);
  EXPECT_EQ(parse_amount("1250.5"), 125050);
  EXPECT_EQ(parse_amount("19999.99"), 1999999);
  EXPECT_EQ(parse_amount("20000"), 2000000);
  EXPECT_EQ(parse_amount("12.340"), 1234);  // a zero beyond the cents changes nothing
  EXPECT_EQ(parse_amount("1.25e3"), 125000);
  EXPECT_EQ(parse_amount("125E-2"), 125);
  EXPECT_EQ(parse_amount("-0.5"), -50);
  EXPECT_EQ(parse_amount("0"), 0);
  EXPECT_EQ(parse_amount("0e99999"), 0);
  EXPECT_EQ(parse_amount("999999999999999.99"), 99999999999999999);
  for (std::string_view refused :
       {"12.345", "1e-3", "0.001", "01", "1.", ".5", "+1", "1e", "--1", "1,5", "", "1e400",
        "1000000000000000", "12345678901234567890123"})
    EXPECT_EQ(parse_amount(refused), std::nullopt) << refused;
}

TEST(AmountTest, MinorUnitsFormatWithTwoDecimals) {
  EXPECT_EQ(format_amount(125050), "1250.50");
  EXPECT_EQ(format_amount(10), "0.10");
  EXPECT_EQ(format_amount(0), "0.00");
  EXPECT_EQ(format_amount(-5), "-0.05");
  EXPECT_EQ(format_amount(-1999999), "-19999.99");
  for (std::int64_t minor : {1LL, 99LL, 100LL, 1999999LL, 99999999999999999LL, -42LL})
    EXPECT_EQ(parse_amount(format_amount(minor)), minor);
}

TEST(TimestampTest, FormatsRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(1'795'515'300'123), "2026-11-24T10:15:00.123Z");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(951'782'400'000), "2000-02-29T00:00:00.000Z");
}

TEST(TimestampTest, ParsesWithAndWithoutFraction) {
  EXPECT_EQ(parse_timestamp("2026-11-24T10:15:00.123Z"), 1'795'515'300'123);
  EXPECT_EQ(parse_timestamp("2026-11-24T10:15:00Z"), 1'795'515'300'000);
  EXPECT_EQ(parse_timestamp("2026-11-24T10:15:00.1Z"), 1'795'515'300'100);
  EXPECT_EQ(parse_timestamp("2026-11-24T10:15:00.123456789Z"), 1'795'515'300'123);
  EXPECT_EQ(parse_timestamp("2026-11-24t10:15:00z"), 1'795'515'300'000);
  EXPECT_EQ(parse_timestamp("2026-11-24T11:15:00+01:00"), 1'795'515'300'000);
  EXPECT_EQ(parse_timestamp("2026-11-24T05:45:00.5-04:30"), 1'795'515'300'500);
  EXPECT_EQ(parse_timestamp("1969-12-31T23:59:59.999Z"), -1);
}

TEST(TimestampTest, RefusesWhatIsNotRfc3339) {
  for (std::string_view bad :
       {"2026-11-24", "2026-11-24T10:15:00", "2026-11-24 10:15:00Z", "2026-11-24T10:15Z",
        "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z",
        "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z", "2026-11-24T10:15:60Z",
        "2026-11-24T10:15:00.Z", "2026-11-24T10:15:00.1234567890Z", "2026-11-24T10:15:00+1:00",
        "2026-11-24T10:15:00+01:00x", "2026-11-24T10:15:00ZZ", "26-11-24T10:15:00Z", "yesterday",
        ""})
    EXPECT_EQ(parse_timestamp(bad), std::nullopt) << bad;
}

TEST(TimestampTest, RoundTripsEveryMillisecondPattern) {
  for (std::int64_t ts = 1'795'478'400'000 - 3'000'000; ts < 1'795'478'400'000 + 3'000'000;
       ts += 997)
    ASSERT_EQ(parse_timestamp(format_timestamp(ts)), ts) << format_timestamp(ts);
  for (std::int64_t ts : {0LL, 253'402'300'799'999LL /* 9999-12-31T23:59:59.999Z */})
    EXPECT_EQ(parse_timestamp(format_timestamp(ts)), ts);
}

TEST(ChannelTest, NamesAreLowercase) {
  EXPECT_EQ(to_string(Channel::counter), "counter");
  EXPECT_EQ(channel_from("mobile"), Channel::mobile);
  EXPECT_EQ(channel_from("Mobile"), std::nullopt);
}

TEST(ParserThreadsTest, ThreadsParseAtTheSameTime) {
  std::string line = to_json(sample_transaction());
  auto work = [&](int& failures) {
    for (int i = 0; i < 2000; ++i) {
      auto parsed = parse_transaction(line);
      if (!parsed || parsed->amount_minor != 125050) ++failures;
    }
  };
  int failures_a = 0, failures_b = 0;
  std::thread a(work, std::ref(failures_a));
  std::thread b(work, std::ref(failures_b));
  a.join();
  b.join();
  EXPECT_EQ(failures_a + failures_b, 0);
}

TEST(MalformedLinesTest, EveryCorruptedLineIsRefused) {
  GeneratorOptions options{.seed = 3, .accounts = 50, .suspicious = 0.1};
  TransactionGenerator transactions(options);
  AccountChangeGenerator changes(options);
  std::vector<CustomerProfile> profiles = customer_profiles(options);
  MalformedLines malformed(3);
  std::set<std::string> kinds_of_error;
  for (int i = 0; i < 600; ++i) {
    std::string tx = malformed.corrupt(to_json(transactions.next().transaction));
    std::string change = malformed.corrupt(to_json(changes.next()));
    std::string profile = malformed.corrupt(to_json(profiles[static_cast<std::size_t>(i % 50)]));
    auto a = parse_transaction(tx);
    auto b = parse_account_change(change);
    auto c = parse_customer_profile(profile);
    ASSERT_FALSE(a) << tx;
    ASSERT_FALSE(b) << change;
    ASSERT_FALSE(c) << profile;
    kinds_of_error.insert(a.error().message.substr(0, a.error().message.find(':')));
  }
  // Cut short / not JSON / trailing, and field errors: id, amount, ts, channel.
  EXPECT_GE(kinds_of_error.size(), 5u);
}

TEST(MalformedLinesTest, SameSeedSameLines) {
  std::string line = to_json(sample_transaction());
  MalformedLines a(11), b(11), c(12);
  std::string from_a, from_b, from_c;
  for (int i = 0; i < 50; ++i) {
    from_a += a.corrupt(line);
    from_b += b.corrupt(line);
    from_c += c.corrupt(line);
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
}

TEST(DeadLetterTest, KeepsTheOriginalBytesAndTheReason) {
  auto letter =
      json::parse(dead_letter_json("acct-1", "{\"amount\": \"x\"", "amount: expected a number"));
  EXPECT_EQ(letter["reason"], "amount: expected a number");
  EXPECT_EQ(letter["key"], "acct-1");
  EXPECT_EQ(letter["value"], "{\"amount\": \"x\"");
  EXPECT_FALSE(letter.contains("value_encoding"));
  // Bytes that are not UTF-8 are kept exactly, base64-encoded and flagged (0xFF once came out
  // as U+00FF).
  auto binary = json::parse(dead_letter_json("", std::string("\xff\xfe{", 3), "not JSON"));
  EXPECT_EQ(binary["reason"], "not JSON");
  EXPECT_EQ(binary["value"], "//57");
  EXPECT_EQ(binary["value_encoding"], "base64");
  EXPECT_EQ(binary["key"], "");
  EXPECT_FALSE(binary.contains("key_encoding"));
}

}  // namespace
}  // namespace gale::events
