#pragma once
// The finance input events (docs/EVENTS.md): card/account transactions and CDC-style account
// changes, as JSON on Kafka topics. Parsing names the field that is wrong; nothing throws.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gale::events {

enum class Channel { pos, atm, online, mobile, counter };

std::string_view to_string(Channel c);
std::optional<Channel> channel_from(std::string_view s);

// Money is kept in minor units (cents); JSON carries it in major units with at most two
// decimals ("amount": 1250.5).
struct Transaction {
  std::string id;            // unique transaction id
  std::string account;       // the account debited
  std::string card;          // the card used; empty for transfers without a card
  std::string customer;      // the account holder
  std::int64_t amount_minor = 0;
  std::string currency;      // ISO 4217, e.g. "EUR"
  Channel channel = Channel::pos;
  std::string counterparty;  // merchant id or payee account
  std::string city;
  double lat = 0;            // where it happened (degrees)
  double lon = 0;
  std::string device;        // device fingerprint; empty when none
  std::int64_t ts_ms = 0;    // event time, epoch milliseconds (JSON: RFC 3339 UTC string)

  double amount() const { return static_cast<double>(amount_minor) / 100.0; }
};

struct AccountChange {
  std::string event_id;      // unique per change (the CDC log position), the idempotency key
  std::string account;
  std::string customer;
  std::string kind;          // "debit" | "credit"
  std::int64_t amount_minor = 0;
  std::int64_t balance_before_minor = 0;
  std::int64_t balance_after_minor = 0;
  std::string currency;
  std::string transaction_id;  // the posted transaction
  std::string description;
  std::int64_t ts_ms = 0;
};

// A parse result: the event, or an error that names the field and what was wrong.
template <typename T>
struct Parsed {
  std::optional<T> event;
  std::string error;  // empty when event is set
  explicit operator bool() const { return event.has_value(); }
};

Parsed<Transaction> parse_transaction(std::string_view json);
Parsed<AccountChange> parse_account_change(std::string_view json);
std::string to_json(const Transaction& t);
std::string to_json(const AccountChange& c);

// RFC 3339 UTC with milliseconds ("2026-11-24T10:15:00.123Z") <-> epoch milliseconds.
std::string format_timestamp(std::int64_t ts_ms);
std::optional<std::int64_t> parse_timestamp(std::string_view s);

}  // namespace gale::events
