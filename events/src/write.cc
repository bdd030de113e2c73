// Events to JSON: one object per line, fields in the order of the structs.
#include "json_writer.h"

namespace gale::events {

std::string to_json(const Transaction& t) {
  return ObjectWriter(320)
      .text("id", t.id)
      .text("account", t.account)
      .text("card", t.card)
      .text("customer", t.customer)
      .amount("amount", t.amount_minor)
      .text("currency", t.currency)
      .text("channel", to_string(t.channel))
      .text("counterparty", t.counterparty)
      .text("city", t.city)
      .number("lat", t.lat)
      .number("lon", t.lon)
      .text("device", t.device)
      .timestamp("ts", t.ts_ms)
      .done();
}

std::string to_json(const AccountChange& c) {
  return ObjectWriter(320)
      .text("event_id", c.event_id)
      .text("account", c.account)
      .text("customer", c.customer)
      .text("kind", c.kind)
      .amount("amount", c.amount_minor)
      .amount("balance_before", c.balance_before_minor)
      .amount("balance_after", c.balance_after_minor)
      .text("currency", c.currency)
      .text("transaction_id", c.transaction_id)
      .text("description", c.description)
      .timestamp("ts", c.ts_ms)
      .done();
}

std::string to_json(const CustomerProfile& p) {
  return ObjectWriter(160)
      .text("customer", p.customer)
      .text("phone", p.phone)
      .text("name", p.name)
      .text("language", p.language)
      .amount("notify_threshold", p.notify_threshold_minor)
      .boolean("opted_in", p.opted_in)
      .done();
}

}  // namespace gale::events
