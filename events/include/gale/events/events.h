#pragma once
// The finance input events (docs/EVENTS.md): card/account transactions and CDC-style account
// changes, as JSON on Kafka topics, and the customer profiles that sms-notify reads. Parsing
// names the field that is wrong; nothing throws.
//
// Threading: every function here is safe to call from any thread at once (the parsers keep one
// simdjson parser per thread).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gale/events/errc.h"
#include "gale/result.h"

namespace gale::events {

enum class Channel { pos, atm, online, mobile, counter };

// Lowercase names, as in JSON: "pos", "atm", "online", "mobile", "counter".
std::string_view to_string(Channel c);
std::optional<Channel> channel_from(std::string_view s);

// Money is kept in minor units (cents); JSON carries it in major units with at most two
// decimals ("amount": 1250.5), parsed from the text exactly (never through a double).
struct Transaction {
  std::string id;        // unique transaction id
  std::string account;   // the account debited
  std::string card;      // the card used; empty for transfers without a card
  std::string customer;  // the account holder
  std::int64_t amount_minor = 0;
  std::string currency;  // ISO 4217, e.g. "EUR"
  Channel channel = Channel::pos;
  std::string counterparty;  // merchant id or payee account
  std::string city;          // empty when unknown
  double lat = 0;            // where it happened (degrees); (0, 0) when unknown, and
  double lon = 0;            // risk-alert's impossible-travel then skips the transaction
  std::string device;        // device fingerprint; empty when none
  std::int64_t ts_ms = 0;    // event time, epoch milliseconds (JSON: RFC 3339 UTC string)

  double amount() const { return static_cast<double>(amount_minor) / 100.0; }
  bool operator==(const Transaction&) const = default;
};

struct AccountChange {
  std::string event_id;  // unique per change (the CDC log position), the idempotency key
  std::string account;
  std::string customer;
  std::string kind;  // "debit" | "credit"
  std::int64_t amount_minor = 0;
  std::int64_t balance_before_minor = 0;
  std::int64_t balance_after_minor = 0;
  std::string currency;
  std::string transaction_id;  // the posted transaction
  std::string description;
  std::int64_t ts_ms = 0;

  bool operator==(const AccountChange&) const = default;
};

// What sms-notify knows about a customer (kept in Redis as this JSON).
struct CustomerProfile {
  std::string customer;
  std::string phone;  // E.164, e.g. "+31612340042"
  std::string name;
  std::string language;                     // "en" | "nl" | "de" | "fr"
  std::int64_t notify_threshold_minor = 0;  // notify about changes of at least this amount
  bool opted_in = false;                    // the customer agreed to SMS notifications

  bool operator==(const CustomerProfile&) const = default;
};

// The event, or an Error with an EventsErrc (gale/events/errc.h) whose message names the field
// and what was wrong, e.g. "amount: expected a number", "missing field 'account'",
// "not JSON: ...".
Result<Transaction> parse_transaction(std::string_view json);
Result<AccountChange> parse_account_change(std::string_view json);
Result<CustomerProfile> parse_customer_profile(std::string_view json);

// One JSON object on one line, without a trailing newline; parse_* reads it back exactly.
std::string to_json(const Transaction& t);
std::string to_json(const AccountChange& c);
std::string to_json(const CustomerProfile& p);

// RFC 3339 UTC with milliseconds ("2026-11-24T10:15:00.123Z") <-> epoch milliseconds.
// parse_timestamp also takes no fraction or up to 9 fraction digits (cut to milliseconds), a
// lowercase 't'/'z', and a numeric offset ("+01:00"), which it converts to UTC.
std::string format_timestamp(std::int64_t ts_ms);
std::optional<std::int64_t> parse_timestamp(std::string_view s);

// Major units with at most two decimals <-> minor units: "1250.5" -> 125050, 125050 ->
// "1250.50". parse_amount takes any JSON number text whose value has at most two decimals
// ("1.25e3" too) and refuses the rest, and values of 10^15 major units or more.
std::string format_amount(std::int64_t minor);
std::optional<std::int64_t> parse_amount(std::string_view json_number);

// A dead letter: an event that was refused, as JSON {"reason", "key", "value"} with the original
// bytes, for a dead-letter topic or list (docs/EVENTS.md). A key or value that is not UTF-8 is
// carried base64-encoded, flagged by "key_encoding" / "value_encoding": "base64".
std::string dead_letter_json(std::string_view key, std::string_view value, std::string_view reason);

}  // namespace gale::events
