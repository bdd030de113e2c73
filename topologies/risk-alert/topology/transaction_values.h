#pragma once
// A parsed transaction as tuple values, so that the rules bolt does not parse the JSON again.
#include <gale/gale.h>

#include "gale/events/events.h"

namespace gale::risk {

// ("account", "id", "card", "customer", "amount_minor", "currency", "channel", "counterparty",
//  "city", "lat", "lon", "device", "ts_ms"): "account" first, the fields-grouping key.
inline Fields transaction_fields() {
  return Fields{"account",      "id",   "card", "customer", "amount_minor", "currency", "channel",
                "counterparty", "city", "lat",  "lon",      "device",       "ts_ms"};
}

inline Values transaction_values(const events::Transaction& t) {
  return Values{t.account,
                t.id,
                t.card,
                t.customer,
                t.amount_minor,
                t.currency,
                std::string(events::to_string(t.channel)),
                t.counterparty,
                t.city,
                t.lat,
                t.lon,
                t.device,
                t.ts_ms};
}

inline events::Transaction transaction_of(const Tuple& in) {
  events::Transaction t;
  t.account = in.get(0).as_string();
  t.id = in.get(1).as_string();
  t.card = in.get(2).as_string();
  t.customer = in.get(3).as_string();
  t.amount_minor = in.get(4).as_int();
  t.currency = in.get(5).as_string();
  t.channel = events::channel_from(in.get(6).as_string()).value_or(events::Channel::pos);
  t.counterparty = in.get(7).as_string();
  t.city = in.get(8).as_string();
  t.lat = in.get(9).as_double();
  t.lon = in.get(10).as_double();
  t.device = in.get(11).as_string();
  t.ts_ms = in.get(12).as_int();
  return t;
}

}  // namespace gale::risk
