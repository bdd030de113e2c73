#include "cluster_commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "gale/common/component_counts.h"
#include "gale/common/daemon_config.h"
#include "gale/common/errc.h"
#include "gale/common/result.h"
#include "gale/common/rfc3339.h"
#include "gale/nimbus/client.h"
#include "gale/nimbus/limits.h"

namespace gale::cli {

namespace {

using nimbus::NimbusClient;
using nlohmann::json;

struct ClusterOptions {
  std::string config_path;
  std::string nimbus;  // host:port
  std::string name;
  std::string artifact;
  std::vector<std::string> settings;
  std::optional<std::int64_t> wait_secs;
  std::optional<int> workers;
  std::vector<std::string> executors;  // component=P
  std::vector<std::string> blobs;      // key=file, at submit
  std::string from_savepoint;          // at submit
  std::string start_at;                // at submit, and gale schedule
  bool cancel = false;                 // gale schedule --cancel
  std::vector<std::string> reset;      // gale set --reset key
  std::string savepoint;               // gale savepoint's name
  std::string blob_key;
  std::string blob_file;
  std::string principal;
  std::string role;
  int limit = 50;
  std::string worker;                // gale logs: supervisor:port
  std::uint64_t tail_bytes = 65536;  // gale logs --tail
  std::string search;                // gale logs --search
};

ClusterOptions options;

// A verb: its subcommand, and what it does with a client once the options are parsed.
struct Verb {
  CLI::App* app = nullptr;
  std::function<int(const NimbusClient&)> run;
};
std::vector<Verb> verbs;

int fail(const std::string& verb, const std::string& message, int code = 1) {
  std::cerr << "gale " << verb << ": " << message << "\n";
  return code;
}

// The client the config describes (nimbus.host/port, the token, security.tls.ca.file), with
// --nimbus host:port over the config's address.
Result<NimbusClient> make_client() {
  std::string path = options.config_path;
  if (path.empty()) path = default_config_path();
  auto loaded = load_daemon_config(path);
  if (!loaded) return loaded.error();
  auto endpoint = nimbus::endpoint_from_config(*loaded);
  if (!endpoint) return endpoint.error();
  if (!options.nimbus.empty()) {
    auto colon = options.nimbus.rfind(':');
    try {
      if (colon == std::string::npos) throw std::invalid_argument("no port");
      endpoint->host = options.nimbus.substr(0, colon);
      std::size_t used = 0;
      endpoint->port = std::stoi(options.nimbus.substr(colon + 1), &used);
      if (used != options.nimbus.size() - colon - 1 || endpoint->port < 1 || endpoint->port > 65535)
        throw std::invalid_argument("bad port");
    } catch (const std::exception&) {
      return make_error(CommonErrc::bad_setting,
                        "--nimbus '" + options.nimbus + "': expected host:port");
    }
  }
  return NimbusClient(std::move(*endpoint));
}

// Prints the answer with `format`, or the error on one line.
int report(const std::string& verb, const Result<json>& answer,
           const std::function<void(const json&)>& format) {
  if (!answer) return fail(verb, answer.error().message);
  format(*answer);
  return 0;
}

Result<std::map<std::string, std::string>> parse_settings() {
  std::map<std::string, std::string> config;
  Config check;
  for (const auto& kv : options.settings) {
    if (auto set = apply_setting(check, kv); !set)
      return make_error(CommonErrc::bad_setting, "-c " + kv + ": " + set.error().message);
    auto eq = kv.find('=');
    config[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return config;
}

Result<ComponentCounts> parse_executors() {
  return parse_component_counts(options.executors);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// --blob key=file entries -> key -> the file's bytes.
Result<std::map<std::string, std::string>> read_blobs() {
  std::map<std::string, std::string> blobs;
  for (const auto& entry : options.blobs) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size())
      return make_error(CommonErrc::bad_setting, "--blob " + entry + ": expected key=file");
    auto bytes = read_file(entry.substr(eq + 1));
    if (!bytes)
      return make_error(CommonErrc::io_error,
                        "--blob " + entry + ": cannot read '" + entry.substr(eq + 1) + "'");
    blobs[entry.substr(0, eq)] = std::move(*bytes);
  }
  return blobs;
}

int submit(const NimbusClient& client) {
  auto config = parse_settings();
  if (!config) return fail("submit", config.error().message, 2);
  if (!options.from_savepoint.empty())
    (*config)[conf::kTopologyStateSavepoint] = options.from_savepoint;
  auto blobs = read_blobs();
  if (!blobs) return fail("submit", blobs.error().message, 2);
  auto bytes = read_file(options.artifact);
  if (!bytes) return fail("submit", "cannot read '" + options.artifact + "'");
  if (!options.start_at.empty())
    if (auto valid = parse_rfc3339(options.start_at); !valid)
      return fail("submit", "--start-at: " + valid.error().message, 2);
  return report("submit", client.submit(options.name, *config, *bytes, *blobs, options.start_at),
                [](const json& answer) {
                  fmt::print("submitted topology '{}' as {}\n", answer.value("name", ""),
                             answer.value("id", ""));
                });
}

int list(const NimbusClient& client) {
  return report("list", client.list(), [](const json& topologies) {
    if (topologies.empty()) {
      fmt::print("no topologies running\n");
      return;
    }
    fmt::print("{:<24} {:<10} {:>8} {:>10} {:>6} {:>10}  {}\n", "name", "status", "workers",
               "executors", "tasks", "uptime_s", "starts_at");
    for (const auto& t : topologies)
      fmt::print("{:<24} {:<10} {:>8} {:>10} {:>6} {:>10}  {}\n", t.value("name", ""),
                 t.value("status", ""), t.value("workers", 0), t.value("executors", 0),
                 t.value("tasks", 0), t.value("uptime_secs", 0),
                 t["start_at"].is_string() ? t["start_at"].get<std::string>() : "-");
  });
}

std::string utc_text(std::int64_t secs);

int status(const NimbusClient& client) {
  return report("status", client.status(options.name), [](const json& t) {
    fmt::print("{} ({}): {}, {} workers, uptime {} s\n", t.value("name", ""), t.value("id", ""),
               t.value("status", ""), t["workers"].size(), t.value("uptime_secs", 0));
    if (t["start_at"].is_string())
      fmt::print("starts at {} (gale schedule {} --cancel to cancel)\n",
                 t["start_at"].get<std::string>(), t.value("name", ""));
    fmt::print("{:<16} {:<6} {:>9} {:>12} {:>12} {:>10} {:>8} {:>12} {:>12} {:>9}\n", "component",
               "kind", "executors", "emitted", "executed", "acked", "failed", "execute_ms",
               "complete_ms", "capacity");
    for (const auto& [id, c] : t["components"].items())
      fmt::print("{:<16} {:<6} {:>9} {:>12} {:>12} {:>10} {:>8} {:>12.3f} {:>12.3f} {:>9.3f}\n", id,
                 c.value("kind", ""), c.value("executors", 0), c.value("emitted", 0),
                 c.value("executed", 0), c.value("acked", 0), c.value("failed", 0),
                 c.value("execute_latency_ms", 0.0), c.value("complete_latency_ms", 0.0),
                 c.value("capacity", 0.0));
    for (const auto& sp : t.value("savepoints", json::array()))
      fmt::print("savepoint {} of checkpoint {}, {} bytes, taken by {} at {}\n",
                 sp.value("name", ""), sp.value("checkpoint", 0), sp.value("bytes", 0),
                 sp.value("taken_by", ""),
                 utc_text(sp.value("created_ms", std::int64_t{0}) / 1000));
    for (const auto& w : t["workers"]) {
      auto age = w["last_beat_secs_ago"];
      fmt::print("worker {}:{} on {}: uptime {} s, last beat {}, refused {} peers, {} batches\n",
                 w.value("host", ""), w.value("port", 0), w.value("supervisor", ""),
                 w["uptime_secs"].is_null() ? "-" : w["uptime_secs"].dump(),
                 age.is_null() ? "never" : age.dump() + " s ago", w.value("refused_peers", 0),
                 w.value("rejected_batches", 0));
    }
    if (const auto& c = t.value("checkpoints", json()); c.is_object()) {
      const auto& recent = c.value("recent", json::array());
      if (recent.empty()) {
        fmt::print("checkpoints: none completed yet, {} abandoned\n", c.value("abandoned", 0));
      } else {
        const auto& last = recent.back();
        auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
        // The coordinator's clock against this one's: never shown below zero.
        const auto& at = last.value("triggered_ms", json());
        const std::int64_t triggered = at.is_number_integer() ? at.get<std::int64_t>() : now_ms;
        fmt::print(
            "checkpoints: last #{} {:.1f} s ago, took {} ms, {} bytes in {} parts; {} "
            "abandoned\n",
            last.value("id", 0), std::max<std::int64_t>(0, now_ms - triggered) / 1000.0,
            last.value("duration_ms", 0), last.value("bytes", 0), last.value("parts", 0),
            c.value("abandoned", 0));
      }
    }
  });
}

int schedule(const NimbusClient& client) {
  if (options.cancel == !options.start_at.empty())
    return fail("schedule", "give a time (RFC 3339 with an offset) or --cancel, one of them", 2);
  if (!options.cancel)
    if (auto valid = parse_rfc3339(options.start_at); !valid)
      return fail("schedule", valid.error().message, 2);
  return report("schedule", client.schedule(options.name, options.start_at), [](const json& a) {
    if (a["start_at"].is_string())
      fmt::print("topology '{}' starts at {}\n", options.name, a["start_at"].get<std::string>());
    else
      fmt::print("topology '{}' has no scheduled start; it is {}\n", options.name,
                 a.value("status", ""));
  });
}

// `gale set NAME [key=value ...] [--reset key ...]`: changes the settings that change while
// the topology runs; with neither, shows them.
int set_settings(const NimbusClient& client) {
  std::map<std::string, std::string> set;
  for (const auto& s : options.settings) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) return fail("set", "'" + s + "' is not key=value", 2);
    set[s.substr(0, eq)] = s.substr(eq + 1);
  }
  auto answer = set.empty() && options.reset.empty()
                    ? client.settings(options.name)
                    : client.change_settings(options.name, set, options.reset);
  return report("set", answer, [](const json& a) {
    fmt::print("{:<32} {:<24} {}\n", "setting", "value", "config");
    for (const auto& s : a.value("settings", json::array())) {
      auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : "-"; };
      fmt::print("{:<32} {:<24} {}{}\n", s.value("key", ""), text(s["value"]), text(s["config"]),
                 s.value("changed", false) ? "  (changed)" : "");
    }
    fmt::print("version {}: the workers apply a change within a second\n", a.value("version", 0));
  });
}

int set_active(const NimbusClient& client, bool active) {
  const char* verb = active ? "activate" : "deactivate";
  auto answer = active ? client.activate(options.name) : client.deactivate(options.name);
  return report(verb, answer, [](const json& a) {
    fmt::print("topology '{}' is {}\n", options.name, a.value("status", ""));
  });
}

int kill(const NimbusClient& client) {
  return report("kill", client.kill(options.name, options.wait_secs), [](const json& a) {
    fmt::print("killing topology '{}': removed in {} s\n", options.name, a.value("wait_secs", 0));
  });
}

int rebalance(const NimbusClient& client) {
  auto executors = parse_executors();
  if (!executors) return fail("rebalance", executors.error().message, 2);
  return report("rebalance",
                client.rebalance(options.name, options.wait_secs, options.workers,
                                 {executors->begin(), executors->end()}),
                [](const json& a) {
                  fmt::print("rebalancing topology '{}' in {} s\n", options.name,
                             a.value("wait_secs", 0));
                });
}

int savepoint(const NimbusClient& client) {
  return report("savepoint", client.savepoint(options.name, options.savepoint), [](const json& a) {
    fmt::print("savepoint '{}' of topology '{}': checkpoint {}, {} tasks, {} bytes\n",
               a.value("savepoint", ""), a.value("topology", ""), a.value("checkpoint", 0),
               a.value("tasks", 0), a.value("bytes", 0));
  });
}

// A log's bytes for the terminal: control characters but newline and tab (an escape sequence in
// a customer's data, say), and the C1 controls in UTF-8 (C2 80 to C2 9F), are shown as \xNN
// rather than acted on. Piped output stays as is.
std::string for_terminal(const std::string& text) {
  if (!::isatty(STDOUT_FILENO)) return text;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
      out += fmt::format("\\x{:02x}\\x{:02x}", c, next);
      ++i;
    } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int logs(const NimbusClient& client) {
  auto colon = options.worker.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      std::from_chars(options.worker.data() + colon + 1,
                      options.worker.data() + options.worker.size(), port)
              .ptr != options.worker.data() + options.worker.size())
    return fail("logs", "'" + options.worker + "' is not supervisor:port (see gale status)", 2);
  const std::string supervisor = options.worker.substr(0, colon);
  if (!options.search.empty())
    return report("logs",
                  client.worker_log(options.name, supervisor, port, std::nullopt, 0, options.search,
                                    static_cast<std::uint64_t>(options.limit)),
                  [](const json& a) {
                    for (const auto& m : a.value("matches", json::array()))
                      fmt::print("{}\n", for_terminal(m.value("line", "")));
                    if (a.value("more", false)) fmt::print(stderr, "(earlier matches left out)\n");
                  });
  return report("logs",
                client.worker_log(options.name, supervisor, port, std::nullopt, options.tail_bytes),
                [](const json& a) { fmt::print("{}", for_terminal(a.value("text", ""))); });
}

int checkpoints(const NimbusClient& client) {
  return report("checkpoints",
                client.checkpoints(options.name, static_cast<std::size_t>(options.limit)),
                [](const json& records) {
                  if (records.empty()) {
                    fmt::print("no checkpoints\n");
                    return;
                  }
                  fmt::print("{:>10} {:<24} {:>10} {:>12} {:>6}\n", "id", "triggered", "took_ms",
                             "bytes", "parts");
                  for (const auto& c : records)
                    fmt::print("{:>10} {:<24} {:>10} {:>12} {:>6}\n", c.value("id", 0),
                               utc_text(c.value("triggered_ms", std::int64_t{0}) / 1000),
                               c.value("duration_ms", 0), c.value("bytes", 0),
                               c.value("parts", json::array()).size());
                });
}

int put_blob(const NimbusClient& client) {
  auto bytes = read_file(options.blob_file);
  if (!bytes) return fail("blob put", "cannot read '" + options.blob_file + "'");
  return report(
      "blob put", client.put_blob(options.name, options.blob_key, *bytes), [](const json& a) {
        fmt::print("blob '{}' of topology '{}' is now version {} ({} bytes)\n", options.blob_key,
                   options.name, a.value("version", 0), a.value("bytes", 0));
      });
}

int list_blobs(const NimbusClient& client) {
  return report("blob list", client.blobs(options.name), [](const json& blobs) {
    if (blobs.empty()) {
      fmt::print("topology '{}' has no blobs\n", options.name);
      return;
    }
    fmt::print("{:<24} {:>8} {:>10}\n", "key", "version", "bytes");
    for (const auto& b : blobs)
      fmt::print("{:<24} {:>8} {:>10}\n", b.value("key", ""), b.value("version", 0),
                 b.value("bytes", 0));
  });
}

int create_token(const NimbusClient& client) {
  return report(
      "token create", client.create_token(options.principal, options.role), [](const json& a) {
        // The token alone on stdout (scripts capture it); what it is on stderr.
        std::cerr << "token for '" << a.value("principal", "") << "' (" << a.value("role", "")
                  << "); it is shown once: store it where only its user can read it\n";
        fmt::print("{}\n", a.value("token", ""));
      });
}

// Unix seconds as "2026-12-04 13:59:27 UTC".
std::string utc_text(std::int64_t secs) {
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

int list_tokens(const NimbusClient& client) {
  return report("token list", client.tokens(), [](const json& tokens) {
    fmt::print("{:<32} {:<12} {}\n", "principal", "role", "created");
    for (const auto& t : tokens)
      fmt::print("{:<32} {:<12} {}\n", t.value("principal", ""), t.value("role", ""),
                 utc_text(t.value("created_secs", std::int64_t{0})));
  });
}

int revoke_token(const NimbusClient& client) {
  return report("token revoke", client.revoke_token(options.principal),
                [](const json&) { fmt::print("revoked the token of '{}'\n", options.principal); });
}

int audit(const NimbusClient& client) {
  return report("audit", client.audit(options.limit), [](const json& entries) {
    for (const auto& e : entries) fmt::print("{}\n", e.dump());
  });
}

int whoami(const NimbusClient& client) {
  return report("whoami", client.whoami(), [](const json& a) {
    fmt::print("{} ({})\n", a.value("principal", ""), a.value("role", ""));
  });
}

// A subcommand with the options every verb shares.
CLI::App* add_verb(CLI::App& app, const char* name, const char* description,
                   std::function<int(const NimbusClient&)> run) {
  auto* sub = app.add_subcommand(name, description);
  sub->add_option("--config", options.config_path,
                  "gale.yaml (default: ./gale.yaml, else /etc/gale/gale.yaml, if present)");
  sub->add_option("--nimbus", options.nimbus, "Nimbus's host:port (over nimbus.host/nimbus.port)");
  verbs.push_back({sub, std::move(run)});
  return sub;
}

void add_name(CLI::App* sub) {
  sub->add_option("name", options.name, "The topology's name")->required();
}

void add_wait(CLI::App* sub) {
  sub->add_option("-w,--wait", options.wait_secs,
                  "Seconds to wait between deactivating and acting (default: "
                  "topology.message.timeout.secs)")
      ->check(CLI::Range(std::int64_t{0}, nimbus::kMaxWaitSecs));
}

}  // namespace

void add_cluster_commands(CLI::App& app) {
  auto* submit_app = add_verb(app, "submit", "Submit a packaged topology to Nimbus", submit);
  submit_app->add_option("topology", options.artifact, "The topology's shared library (.so)")
      ->required();
  submit_app->add_option("--name", options.name, "The topology's name")->required();
  submit_app->add_option("-c", options.settings, "Topology config key=value (repeatable)");
  submit_app->add_option(
      "--blob", options.blobs,
      "A blob the topology reads, key=file (repeatable; see topology.blobs.dir)");
  submit_app->add_option("--from-savepoint", options.from_savepoint,
                         "Start the topology's state from this savepoint (gale savepoint)");
  submit_app->add_option("--start-at", options.start_at,
                         "Keep the topology inactive until this time, RFC 3339 with an offset "
                         "(2026-12-05T18:00:00+08:00); Nimbus activates it then");
  auto* set_app = add_verb(app, "set",
                           "Change settings while the topology runs (log level, debug, its "
                           "declared keys); without any, show them",
                           set_settings);
  add_name(set_app);
  set_app->add_option("settings", options.settings, "key=value (repeatable)");
  set_app->add_option("--reset", options.reset, "Back to the config's value (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* schedule_app =
      add_verb(app, "schedule", "Schedule an inactive topology's start, or cancel it", schedule);
  add_name(schedule_app);
  schedule_app->add_option("time", options.start_at, "RFC 3339 with an offset");
  schedule_app->add_flag("--cancel", options.cancel, "Cancel the scheduled start");
  add_verb(app, "list", "List the running topologies", list);
  add_name(add_verb(app, "status", "Show a topology's status and statistics", status));
  add_name(add_verb(app, "activate", "Activate a topology's spouts",
                    [](const NimbusClient& c) { return set_active(c, true); }));
  add_name(add_verb(app, "deactivate", "Deactivate a topology's spouts",
                    [](const NimbusClient& c) { return set_active(c, false); }));
  auto* kill_app = add_verb(app, "kill", "Kill a topology", kill);
  add_name(kill_app);
  add_wait(kill_app);
  auto* rebalance_app = add_verb(app, "rebalance", "Spread a topology anew", rebalance);
  add_name(rebalance_app);
  add_wait(rebalance_app);
  rebalance_app->add_option("-n,--num-workers", options.workers, "New number of workers")
      ->check(CLI::Range(1, static_cast<int>(nimbus::kMaxWorkers)));
  rebalance_app->add_option("-e,--executors", options.executors,
                            "component=executors (repeatable)");
  auto* savepoint_app = add_verb(
      app, "savepoint", "Keep the last complete checkpoint of a topology under a name", savepoint);
  add_name(savepoint_app);
  savepoint_app->add_option("savepoint", options.savepoint, "The savepoint's name")->required();
  auto* checkpoints_app =
      add_verb(app, "checkpoints", "Show a topology's last completed checkpoints", checkpoints);
  add_name(checkpoints_app);
  checkpoints_app->add_option("-n,--limit", options.limit, "How many (default 50)")
      ->check(CLI::Range(1, 1000));  // the history the state backend keeps
  auto* logs_app =
      add_verb(app, "logs", "Show the tail of a worker's log, or the lines holding a text", logs);
  add_name(logs_app);
  logs_app
      ->add_option("worker", options.worker,
                   "supervisor:port (gale status names each worker's supervisor and port)")
      ->required();
  logs_app->add_option("--tail", options.tail_bytes, "How many bytes of its end (default 65536)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  logs_app->add_option("--search", options.search, "Only the lines holding this text");
  logs_app->add_option("-n,--limit", options.limit, "With --search: the last N lines (default 50)")
      ->check(CLI::Range(1, 1000));
  auto* blob_app = app.add_subcommand("blob", "Replace or list a running topology's blobs");
  blob_app->require_subcommand(1);
  auto* put_app =
      add_verb(*blob_app, "put", "Replace (or add) a blob; workers pick it up", put_blob);
  add_name(put_app);
  put_app->add_option("key", options.blob_key, "The blob's key")->required();
  put_app->add_option("file", options.blob_file, "The file with its new bytes")->required();
  add_name(add_verb(*blob_app, "list", "List a topology's blobs", list_blobs));

  auto* token_app = app.add_subcommand("token", "Issue, list or revoke API tokens (admin)");
  token_app->require_subcommand(1);
  auto* create_app =
      add_verb(*token_app, "create", "Issue (or replace) a principal's token", create_token);
  create_app->add_option("principal", options.principal, "Who will present the token")->required();
  create_app->add_option("--role", options.role, "admin, deployer, viewer or supervisor")
      ->required()
      ->check(CLI::IsMember({"admin", "deployer", "viewer", "supervisor"}));
  add_verb(*token_app, "list", "List the principals that have tokens", list_tokens);
  add_verb(*token_app, "revoke", "Revoke a principal's token", revoke_token)
      ->add_option("principal", options.principal, "Whose token")
      ->required();
  add_verb(app, "audit", "Show the last entries of Nimbus's audit log (admin)", audit)
      ->add_option("-n,--limit", options.limit, "How many entries (default 50)")
      ->check(CLI::Range(1, 10000));
  add_verb(app, "whoami", "Show the principal and role of this client's token", whoami);
}

bool cluster_command_chosen() {
  for (const auto& verb : verbs)
    if (verb.app->parsed()) return true;
  return false;
}

int run_cluster_command() {
  for (const auto& verb : verbs) {
    if (!verb.app->parsed()) continue;
    auto client = make_client();
    if (!client) return fail(verb.app->get_name(), client.error().message, 2);
    return verb.run(*client);
  }
  return 2;
}

}  // namespace gale::cli
