// gale-gen: deterministic finance events (transactions, account changes, customer profiles)
// to a file, stdout or Kafka, profiles also into Redis. Reads the flags; event_output.cc does
// the work. See README.md.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <map>
#include <string>

#include "event_output.h"
#include "gale/common/command_line.h"
#include "gale/common/version.h"
#include "redis_profiles.h"

namespace {

using gale::eventgen::EventKind;

const std::map<std::string, EventKind> kKinds = {{"transactions", EventKind::transactions},
                                                 {"account-changes", EventKind::account_changes},
                                                 {"profiles", EventKind::profiles},
                                                 {"core-banking", EventKind::core_banking}};
const std::map<std::string, gale::events::CdcFormat> kFormats = {
    {"debezium", gale::events::CdcFormat::debezium},
    {"canal", gale::events::CdcFormat::canal},
    {"maxwell", gale::events::CdcFormat::maxwell}};

constexpr double kUnbounded = std::numeric_limits<double>::max();

// A flag's number: whole if asked, within [lo, hi] (or [lo, hi) when hi is open). CLI11
// prefixes the message with the flag's name.
CLI::Validator number(double lo, double hi, bool whole, bool hi_open = false) {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        double v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        bool parsed = ec == std::errc() && end == s.data() + s.size() && std::isfinite(v);
        if (!parsed || (whole && v != std::floor(v))) {
          return (whole ? "expected a whole number, got '" : "expected a number, got '") + s + "'";
        }
        if (v < lo || v > hi || (hi_open && v == hi)) {
          if (hi == kUnbounded) return fmt::format("must be at least {}, got {}", lo, s);
          if (hi_open) return fmt::format("must be at least {} and below {}, got {}", lo, hi, s);
          return fmt::format("must be between {} and {}, got {}", lo, hi, s);
        }
        return {};
      },
      "");
}

CLI::Validator unsigned_64() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        std::uint64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && end == s.data() + s.size()) return {};
        return "expected a whole number from 0 to 18446744073709551615, got '" + s + "'";
      },
      "");
}

// The generator names its option fields; the user typed flags.
std::string flag_error(const std::string& error) {
  static const std::map<std::string, std::string> kFlags = {{"accounts", "--accounts"},
                                                            {"suspicious", "--suspicious"},
                                                            {"gap_ms", "--gap-ms"},
                                                            {"start_ms", "--start"},
                                                            {"duplicates", "--duplicates"}};
  std::size_t colon = error.find(':');
  auto it = colon == std::string::npos ? kFlags.end() : kFlags.find(error.substr(0, colon));
  return it == kFlags.end() ? error : it->second + error.substr(colon);
}

const char* kind_name(EventKind k) {
  switch (k) {
    case EventKind::transactions:
      return "transactions";
    case EventKind::account_changes:
      return "account changes";
    case EventKind::profiles:
      return "profiles";
    case EventKind::core_banking:
      return "core banking changes";
  }
  return "";
}

// Flags that mean nothing for the kind of event or the outputs asked for; empty when all apply.
std::string inapplicable_flag(const CLI::App& app, EventKind kind) {
  auto given = [&](const char* flag) { return app.get_option(flag)->count() > 0; };
  if (kind == EventKind::profiles) {
    for (const char* flag : {"--count", "--suspicious", "--start", "--gap-ms", "--expected"})
      if (given(flag))
        return std::string(flag) +
               ": not used for profiles (one profile per account; see --accounts)";
  }
  if (kind == EventKind::account_changes && given("--expected"))
    return "--expected: only transactions raise alerts";
  if (kind == EventKind::core_banking && given("--suspicious"))
    return "--suspicious: not used for core-banking (its changes raise no alerts)";
  if (kind != EventKind::core_banking) {
    for (const char* flag : {"--format", "--duplicates"})
      if (given(flag)) return std::string(flag) + ": only for core-banking";
  }
  if (kind != EventKind::profiles && given("--redis"))
    return "--redis: only profiles are loaded into Redis";
  if (given("--redis") && !given("--out") && !given("--brokers")) {
    for (const char* flag : {"--rate", "--malformed"})
      if (given(flag))
        return std::string(flag) +
               ": applies to lines, and with --redis alone none are written (add --out)";
  }
  return {};
}

std::string summary_line(const gale::eventgen::Request& r, const gale::eventgen::Summary& s,
                         const std::string& redis_address) {
  std::string redis = fmt::format("loaded into redis {}", redis_address);
  if (r.redis && r.out.empty() && r.brokers.empty())
    return fmt::format("{} profiles {}", s.loaded_into_redis, redis);
  std::string line =
      fmt::format("{} {}, {} malformed lines", s.events, kind_name(r.kind), s.malformed_lines);
  if (r.kind == gale::eventgen::EventKind::core_banking)
    line += r.expected.empty() ? "" : ", expected balances in " + r.expected;
  else
    line += fmt::format(", {} expected alerts", s.expected_alerts);
  if (r.redis) line += fmt::format("; {} {}", s.loaded_into_redis, redis);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gale-gen: deterministic finance events for demos, tests and benchmarks (docs/EVENTS.md)"};
  app.set_version_flag("--version", gale::version_text("gale-gen"));
  gale::eventgen::Request r;
  std::string start = "2026-11-24T00:00:00Z";
  std::string kind;
  app.add_option("kind", kind, "transactions | account-changes | profiles | core-banking")
      ->required()
      ->check(CLI::IsMember({"transactions", "account-changes", "profiles", "core-banking"}));
  std::string format = "debezium";
  app.add_option("--format", format,
                 "core-banking: the CDC connector's JSON: debezium | canal | maxwell")
      ->capture_default_str()
      ->check(CLI::IsMember({"debezium", "canal", "maxwell"}));
  app.add_option("--duplicates", r.core_banking.duplicates,
                 "core-banking: share of records redelivered, as after a connector failover")
      ->capture_default_str()
      ->check(number(0, 1, false, true));
  app.add_option("--count", r.count, "events (core-banking: records) to write")
      ->capture_default_str()
      ->check(number(0, kUnbounded, true));
  app.add_option("--rate", r.rate, "lines per second, 0 = as fast as possible")
      ->capture_default_str()
      ->check(number(0, kUnbounded, false));
  app.add_option("--accounts", r.generator.accounts, "accounts (one customer each)")
      ->capture_default_str()
      ->check(number(1, 10'000'000, true));
  app.add_option("--suspicious", r.generator.suspicious,
                 "about this share of transactions raise an alert")
      ->capture_default_str()
      ->check(number(0, 1, false));
  app.add_option("--seed", r.generator.seed, "the same seed gives the same events")
      ->capture_default_str()
      ->check(unsigned_64());
  app.add_option("--start", start, "event time of the first event (RFC 3339)")
      ->capture_default_str();
  app.add_option("--gap-ms", r.generator.gap_ms, "event time between consecutive transactions")
      ->capture_default_str()
      ->check(number(1, 86'400'000, true));
  app.add_option("--out", r.out, "file to write, - for stdout (default: stdout unless --brokers)");
  auto* brokers =
      app.add_option("--brokers", r.brokers, "Kafka bootstrap servers, host:port[,...]");
  auto* topic = app.add_option("--topic", r.topic, "Kafka topic (with --brokers)");
  brokers->needs(topic);
  topic->needs(brokers);
  std::string redis_address;
  app.add_option("--redis", redis_address,
                 "profiles: also (or only) load them into this Redis, host:port");
  app.add_option("--expected", r.expected,
                 "transactions: write the expected alerts (JSON lines) here; core-banking: the "
                 "expected balances per account and institution (JSON)");
  app.add_option("--malformed", r.malformed,
                 "share of deliberately malformed lines, for dead-letter tests")
      ->capture_default_str()
      ->check(number(0, 1, false, true));
  if (auto exit = gale::parse_command_line(app, argc, argv)) return *exit;

  r.kind = kKinds.at(kind);
  std::optional<std::int64_t> start_ms = gale::events::parse_timestamp(start);
  std::string error = inapplicable_flag(app, r.kind);
  if (!start_ms)
    error =
        "--start: expected an RFC 3339 timestamp like 2026-11-24T00:00:00Z, got '" + start + "'";
  if (error.empty() && app.get_option("--redis")->count() > 0) {
    r.redis = gale::eventgen::parse_redis_address(redis_address);
    if (!r.redis) error = "--redis: expected host:port (port 1-65535), got '" + redis_address + "'";
  }
  if (error.empty()) {
    r.generator.start_ms = *start_ms;
    if (r.kind == EventKind::core_banking) {
      r.cdc_format = kFormats.at(format);
      r.core_banking.seed = r.generator.seed;
      r.core_banking.accounts = r.generator.accounts;
      r.core_banking.start_ms = r.generator.start_ms;
      r.core_banking.gap_ms = r.generator.gap_ms;
      error = flag_error(gale::events::validate(r.core_banking));
    } else {
      error = flag_error(gale::events::validate(r.generator));
    }
  }
  if (!error.empty()) {
    std::fprintf(stderr, "gale-gen: %s\n", error.c_str());
    return 2;
  }
  // Kafka or Redis alone: stdout stays empty.
  if ((brokers->count() > 0 || r.redis) && app.get_option("--out")->count() == 0) r.out.clear();

  try {
    gale::eventgen::Summary s = gale::eventgen::write_events(r);
    std::fprintf(stderr, "gale-gen: %s\n", summary_line(r, s, redis_address).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gale-gen: %s\n", e.what());
    return 1;
  }
  return 0;
}
