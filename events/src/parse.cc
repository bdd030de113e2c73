// JSON to events with simdjson's On-Demand API: one pass over the object's fields in any
// order, each field read straight into the struct; unknown fields are skipped (newer producers
// may add some), a repeated field keeps its last value.
#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <cstdint>

#include "amount.h"
#include "gale/events/events.h"

namespace gale::events {

namespace {

namespace od = simdjson::ondemand;

// simdjson reads a few bytes past the end of its input, so each thread copies the input into a
// buffer with that padding; the parser and the buffer are reused from event to event.
struct ThreadParser {
  od::parser parser;
  std::string buffer;

  simdjson::padded_string_view pad(std::string_view json) {
    buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
    buffer.assign(json);
    return simdjson::padded_string_view(buffer.data(), json.size(), buffer.capacity());
  }
};

ThreadParser& thread_parser() {
  thread_local ThreadParser p;
  return p;
}

Error not_json(simdjson::error_code e) {
  return make_error(EventsErrc::not_json, std::string("not JSON: ") + simdjson::error_message(e));
}

bool field_error(Error& error, std::string_view field, std::string_view problem) {
  error = make_error(EventsErrc::invalid_field, std::string(field).append(": ").append(problem));
  return false;
}

// A field of event type E: its JSON name, whether it must be there, and how to read it into
// E. A reader returns false with `error` set (invalid_field "<field>: <problem>", or not_json
// "not JSON: ...").
template <typename E>
struct Field {
  std::string_view name;
  bool required;
  bool (*read)(od::value& v, std::string_view name, E& e, Error& error);
};

bool type_error(Error& error, std::string_view name, simdjson::error_code e,
                std::string_view expected) {
  if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR)
    return field_error(error, name, expected);
  error = not_json(e);
  return false;
}

bool read_string(od::value& v, std::string_view name, std::string_view& out, Error& error) {
  if (auto e = v.get_string().get(out)) return type_error(error, name, e, "expected a string");
  return true;
}

// Member readers, one template each, so that the schema tables below stay declarative.
template <typename E, std::string E::*M>
bool text(od::value& v, std::string_view name, E& e, Error& error) {
  std::string_view s;
  if (!read_string(v, name, s, error)) return false;
  (e.*M).assign(s);
  return true;
}

template <typename E, std::string E::*M>
bool identifier(od::value& v, std::string_view name, E& e, Error& error) {
  if (!text<E, M>(v, name, e, error)) return false;
  if ((e.*M).empty()) return field_error(error, name, "must not be empty");
  return true;
}

// A string that may also be null (card, device): null reads as empty.
template <typename E, std::string E::*M>
bool optional_text(od::value& v, std::string_view name, E& e, Error& error) {
  bool is_null = false;
  if (auto err = v.is_null().get(is_null)) return type_error(error, name, err, "expected a string");
  if (is_null) {
    (e.*M).clear();
    return true;
  }
  return text<E, M>(v, name, e, error);
}

// Which amounts a field takes: a transaction's amount is positive, a notification threshold
// may be zero, a balance may be anything.
enum class Sign { positive, non_negative, any };

template <typename E, std::int64_t E::*M, Sign kSign>
bool amount(od::value& v, std::string_view name, E& e, Error& error) {
  od::json_type type;
  if (auto err = v.type().get(type)) return type_error(error, name, err, "expected a number");
  if (type != od::json_type::number) return field_error(error, name, "expected a number");
  std::string_view token = v.raw_json_token();  // the number and any whitespace after it
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                            token.back() == '\r'))
    token.remove_suffix(1);
  if (auto problem = read_amount(token, e.*M); problem != AmountProblem::none)
    return field_error(error, name, describe(problem));
  if (kSign == Sign::positive && e.*M <= 0)
    return field_error(error, name, "must be greater than 0");
  if (kSign == Sign::non_negative && e.*M < 0)
    return field_error(error, name, "must not be negative");
  return true;
}

template <typename E, double E::*M, int kLimit>
bool coordinate(od::value& v, std::string_view name, E& e, Error& error) {
  if (auto err = v.get_double().get(e.*M)) return type_error(error, name, err, "expected a number");
  if (!(e.*M >= -kLimit && e.*M <= kLimit))
    return field_error(error, name,
                       kLimit == 90 ? "out of range (-90..90)" : "out of range (-180..180)");
  return true;
}

template <typename E, std::int64_t E::*M>
bool timestamp(od::value& v, std::string_view name, E& e, Error& error) {
  std::string_view s;
  if (!read_string(v, name, s, error)) return false;
  auto ts = parse_timestamp(s);
  if (!ts)
    return field_error(error, name,
                       fmt::format("expected an RFC 3339 timestamp like "
                                   "\"2026-11-24T10:15:00.123Z\", got \"{}\"",
                                   s));
  e.*M = *ts;
  return true;
}

template <typename E, std::string E::*M>
bool currency(od::value& v, std::string_view name, E& e, Error& error) {
  if (!text<E, M>(v, name, e, error)) return false;
  const std::string& c = e.*M;
  bool iso = c.size() == 3;
  for (char ch : c) iso = iso && ch >= 'A' && ch <= 'Z';
  if (!iso)
    return field_error(error, name,
                       fmt::format("expected an ISO 4217 code like \"EUR\", got \"{}\"", c));
  return true;
}

bool channel(od::value& v, std::string_view name, Transaction& t, Error& error) {
  std::string_view s;
  if (!read_string(v, name, s, error)) return false;
  auto c = channel_from(s);
  if (!c)
    return field_error(
        error, name,
        fmt::format("unknown channel \"{}\" (expected pos, atm, online, mobile or counter)", s));
  t.channel = *c;
  return true;
}

bool change_kind(od::value& v, std::string_view name, AccountChange& c, Error& error) {
  if (!text<AccountChange, &AccountChange::kind>(v, name, c, error)) return false;
  if (c.kind != "debit" && c.kind != "credit")
    return field_error(error, name,
                       fmt::format("expected \"debit\" or \"credit\", got \"{}\"", c.kind));
  return true;
}

bool phone(od::value& v, std::string_view name, CustomerProfile& p, Error& error) {
  if (!text<CustomerProfile, &CustomerProfile::phone>(v, name, p, error)) return false;
  const std::string& s = p.phone;
  bool e164 = s.size() >= 9 && s.size() <= 16 && s[0] == '+';
  for (std::size_t i = 1; i < s.size(); ++i) e164 = e164 && s[i] >= '0' && s[i] <= '9';
  if (!e164) return field_error(error, name, "expected an E.164 number like \"+31612340042\"");
  return true;
}

bool language(od::value& v, std::string_view name, CustomerProfile& p, Error& error) {
  if (!text<CustomerProfile, &CustomerProfile::language>(v, name, p, error)) return false;
  const std::string& s = p.language;
  if (s.size() != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z')
    return field_error(error, name, "expected a two-letter language code like \"nl\"");
  return true;
}

bool opted_in(od::value& v, std::string_view name, CustomerProfile& p, Error& error) {
  if (auto err = v.get_bool().get(p.opted_in))
    return type_error(error, name, err, "expected true or false");
  return true;
}

using T = Transaction;
constexpr std::array<Field<T>, 13> kTransactionFields = {{
    {"id", true, identifier<T, &T::id>},
    {"account", true, identifier<T, &T::account>},
    {"card", false, optional_text<T, &T::card>},
    {"customer", true, identifier<T, &T::customer>},
    {"amount", true, amount<T, &T::amount_minor, Sign::positive>},
    {"currency", true, currency<T, &T::currency>},
    {"channel", true, channel},
    {"counterparty", true, identifier<T, &T::counterparty>},
    {"city", false, text<T, &T::city>},
    {"lat", false, coordinate<T, &T::lat, 90>},
    {"lon", false, coordinate<T, &T::lon, 180>},
    {"device", false, optional_text<T, &T::device>},
    {"ts", true, timestamp<T, &T::ts_ms>},
}};

using C = AccountChange;
constexpr std::array<Field<C>, 11> kAccountChangeFields = {{
    {"event_id", true, identifier<C, &C::event_id>},
    {"account", true, identifier<C, &C::account>},
    {"customer", true, identifier<C, &C::customer>},
    {"kind", true, change_kind},
    {"amount", true, amount<C, &C::amount_minor, Sign::positive>},
    {"balance_before", true, amount<C, &C::balance_before_minor, Sign::any>},
    {"balance_after", true, amount<C, &C::balance_after_minor, Sign::any>},
    {"currency", true, currency<C, &C::currency>},
    {"transaction_id", true, identifier<C, &C::transaction_id>},
    {"description", false, text<C, &C::description>},
    {"ts", true, timestamp<C, &C::ts_ms>},
}};

using P = CustomerProfile;
constexpr std::array<Field<P>, 6> kProfileFields = {{
    {"customer", true, identifier<P, &P::customer>},
    {"phone", true, phone},
    {"name", true, text<P, &P::name>},
    {"language", true, language},
    {"notify_threshold", true, amount<P, &P::notify_threshold_minor, Sign::non_negative>},
    {"opted_in", true, opted_in},
}};

// Which fields of a schema (by index) an object had.
class SeenFields {
 public:
  void add(std::size_t i) { bits_ |= 1u << i; }
  bool has(std::size_t i) const { return bits_ & (1u << i); }

 private:
  std::uint32_t bits_ = 0;
};

template <typename E, std::size_t N>
constexpr std::size_t field_index(const std::array<Field<E>, N>& schema, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i)
    if (schema[i].name == name) return i;
  throw "no such field";  // at compile time: a typo in a name below does not build
}

// A location is both coordinates or neither (then (0, 0), "unknown", as risk-alert reads it).
Status check_location(const SeenFields& seen) {
  constexpr std::size_t lat = field_index(kTransactionFields, "lat");
  constexpr std::size_t lon = field_index(kTransactionFields, "lon");
  if (seen.has(lat) && !seen.has(lon))
    return make_error(EventsErrc::missing_field, "missing field 'lon' (lat is given)");
  if (seen.has(lon) && !seen.has(lat))
    return make_error(EventsErrc::missing_field, "missing field 'lat' (lon is given)");
  return {};
}

Status no_check(const SeenFields&) {
  return {};
}

// Reads one JSON object with `schema`; `check` sees which fields were there once all required
// ones are, and returns an error or nothing.
template <typename E, std::size_t N, typename Check>
Result<E> parse_object(std::string_view json, const std::array<Field<E>, N>& schema, Check check) {
  ThreadParser& tp = thread_parser();
  od::document doc;
  if (auto e = tp.parser.iterate(tp.pad(json)).get(doc)) return not_json(e);
  od::object object;
  if (auto e = doc.get_object().get(object)) {
    return e == simdjson::INCORRECT_TYPE
               ? make_error(EventsErrc::not_json, "not JSON: expected an object")
               : not_json(e);
  }
  static_assert(N <= 32, "seen fields are kept in a 32-bit mask");
  E event;
  SeenFields seen;
  Error error;
  for (auto item : object) {
    if (auto e = item.error()) return not_json(e);
    od::field& field = item.value_unsafe();
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return not_json(e);
    for (std::size_t i = 0; i < N; ++i) {
      if (schema[i].name != key) continue;
      if (!schema[i].read(field.value(), schema[i].name, event, error)) return error;
      seen.add(i);
      break;
    }
  }
  // current_location() is out of bounds only when the whole input was consumed.
  if (!doc.current_location().error())
    return make_error(EventsErrc::not_json, "not JSON: trailing content after the object");
  for (std::size_t i = 0; i < N; ++i)
    if (schema[i].required && !seen.has(i))
      return make_error(EventsErrc::missing_field,
                        fmt::format("missing field '{}'", schema[i].name));
  if (Status checked = check(seen); !checked) return checked.error();
  return event;
}

}  // namespace

Result<Transaction> parse_transaction(std::string_view json) {
  return parse_object(json, kTransactionFields, check_location);
}

Result<AccountChange> parse_account_change(std::string_view json) {
  return parse_object(json, kAccountChangeFields, no_check);
}

Result<CustomerProfile> parse_customer_profile(std::string_view json) {
  return parse_object(json, kProfileFields, no_check);
}

}  // namespace gale::events
