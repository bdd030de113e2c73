#include "gale/config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "gale/errors.h"
#include "text.h"

namespace gale {
namespace {

using Type = Value::Type;

// Keys under these prefixes belong to Gale: an unknown one is a mistake, not a user key.
constexpr std::array<std::string_view, 8> kReservedPrefixes = {
    "topology.", "worker.", "supervisor.", "nimbus.", "storm.", "security.", "gale.", "query."};

// A suggestion further than this from every known key would be a guess, not a correction.
constexpr std::size_t kMaxSuggestionDistance = 3;

// One schema entry, written to read like the table in docs/CONFIGURATION.md:
// KeySpec(name, type, default, doc).at_least(0).per_component().
class KeySpec {
 public:
  KeySpec(const char* name, Type type, Value default_value, const char* doc)
      : key_{name, type, std::move(default_value), {}, {}, doc} {}
  KeySpec& at_least(double min) {
    key_.min = min;
    return *this;
  }
  KeySpec& at_most(double max) {
    key_.max = max;
    return *this;
  }
  KeySpec& per_component() {
    key_.per_component = true;
    return *this;
  }
  operator ConfigKey() const { return key_; }

 private:
  ConfigKey key_;
};

std::vector<ConfigKey> make_schema() {
  using namespace conf;
  const Value none;
  return {
      KeySpec(kTopologyName, Type::string, none, "The topology's name."),
      KeySpec(kTopologyWorkers, Type::int64, 1,
              "Worker processes the topology runs in (cluster mode; local mode runs one).")
          .at_least(1),
      KeySpec(kTopologyAckerExecutors, Type::int64, none,
              "Acker executors. Unset: one per worker. 0 turns tracking off: tracked spout "
              "tuples are acked as soon as they are emitted.")
          .at_least(0),
      KeySpec(kTopologyMaxSpoutPending, Type::int64, 5000,
              "Per spout task, the most tracked tuples in flight (emitted, not yet acked or "
              "failed); 0: no cap.")
          .at_least(0)
          .per_component(),
      KeySpec(kTopologyMessageTimeoutSecs, Type::int64, 30,
              "A tracked tuple not completed within this many seconds fails (the runtime "
              "expires it between 1x and 1.34x of this).")
          .at_least(1),
      KeySpec(kTopologyEnableMessageTimeouts, Type::boolean, true,
              "Whether tracked tuples time out at all (false: a lost tuple is never replayed)."),
      KeySpec(kTopologyTickTupleFreqSecs, Type::int64, 0,
              "Send tick tuples to bolts every this many seconds; 0: none.")
          .at_least(0)
          .per_component(),
      KeySpec(kTopologyTickTupleFreqMs, Type::int64, 0,
              "Send tick tuples every this many milliseconds instead (Heron's key); 0: the "
              "seconds key decides.")
          .at_least(0)
          .per_component(),
      KeySpec(kTopologyDebug, Type::boolean, false,
              "Log every emitted tuple (topology.debug.sample.rate of them); changes while "
              "running with gale set.")
          .per_component(),
      KeySpec(kTopologyDebugSampleRate, Type::float64, 1.0,
              "The share of emitted tuples topology.debug logs; changes while running with "
              "gale set.")
          .at_least(0)
          .at_most(1),
      KeySpec(kTopologyLogLevel, Type::string, "",
              "The workers' log level: trace, debug, info, warn, error or off; empty: the level "
              "the supervisor starts them with. Changes while running with gale set."),
      KeySpec(kTopologyMaxTaskParallelism, Type::int64, none,
              "Cap on the executors of any one component.")
          .at_least(1),
      KeySpec(kTopologyProducerBatchSize, Type::int64, 100, "Tuples per batch between executors.")
          .at_least(1)
          .at_most(10000),
      KeySpec(kTopologyBatchFlushIntervalMillis, Type::int64, 1,
              "Longest time, in milliseconds, a partial batch waits before it is sent.")
          .at_least(0),
      KeySpec(kTopologyExecutorReceiveBufferSize, Type::int64, 32768,
              "Capacity of an executor's input queue in tuples (rounded up to whole batches).")
          .at_least(64)
          .at_most(16777216),
      KeySpec(kTopologyStatsSampleRate, Type::float64, 0.05,
              "Share of tuples sampled for latency statistics.")
          .at_least(0)
          .at_most(1),
      KeySpec(kTopologyMetricsMaxSeries, Type::int64, 200,
              "Metric series (a name with one set of label values) one task may register; "
              "later ones work but are not reported.")
          .at_least(1)
          .at_most(10000),
      KeySpec(kTopologySpoutWaitParkMicrosec, Type::int64, 100,
              "How long, in microseconds, an idle spout first sleeps once spinning and yielding "
              "found no work; each further empty round doubles it, up to "
              "topology.spout.wait.park.max.microsec. Acks arriving wake it at once.")
          .at_least(0),
      KeySpec(kTopologySpoutWaitParkMaxMicrosec, Type::int64, 5000,
              "The longest an idle spout sleeps before calling next_tuple again, in "
              "microseconds: the most a tuple waits in a polled source while the topology is "
              "quiet (a spout that signals its input, as the Kafka spout does, is woken at "
              "once).")
          .at_least(0),
      KeySpec(kTopologyBoltWaitParkMicrosec, Type::int64, 100,
              "How long, in microseconds, a bolt or acker whose downstream queue is full sleeps "
              "between tries. (With an empty input queue it sleeps until input arrives.)")
          .at_least(0),
      KeySpec(kTopologyWaitSpinCount, Type::int64, 100,
              "Rounds an executor with no work spins (a pause instruction each) before it "
              "yields.")
          .at_least(0),
      KeySpec(kTopologyWaitYieldCount, Type::int64, 50,
              "Rounds an executor with no work yields its core after spinning, before it "
              "sleeps.")
          .at_least(0),
      KeySpec(kTopologyChaining, Type::boolean, true,
              "Run a bolt in its input's executor thread, as direct calls with no queue between "
              "them, where that is safe: its only input is one component with as many executors "
              "and tasks, through local_or_shuffle, none or one_to_one grouping. Set on a bolt "
              "(per component) to keep that one bolt in threads of its own.")
          .per_component(),
      KeySpec(kTopologyWorkerCpus, Type::string, "",
              "CPUs to pin a worker's executor threads to, one CPU each in turn (Linux CPU "
              "list syntax: \"2-5,8\"); empty: no pinning, the kernel schedules them."),
      KeySpec(kTopologyBlobsDir, Type::string, "",
              "Folder holding the topology's blobs, one file per key: set by the worker in "
              "cluster mode (blobs come from `gale submit --blob` and `gale blob put`); in local "
              "mode any folder."),
      KeySpec(kTopologyUsers, Type::string, "",
              "Comma-separated principals that may control the topology (kill, rebalance, "
              "activate, deactivate, blobs) besides its owner and admins: Storm's "
              "topology.users."),
      KeySpec(kTopologyStateCheckpointIntervalMs, Type::int64, 1000,
              "In a topology with a stateful bolt, start a checkpoint this many milliseconds "
              "after the previous one ended (docs/STATE.md); 0: no checkpoints.")
          .at_least(0),
      KeySpec(kTopologyStateCheckpointTimeoutMs, Type::int64, 60000,
              "A checkpoint not complete within this many milliseconds is abandoned and the "
              "next one starts.")
          .at_least(100),
      KeySpec(kTopologyStateBackend, Type::string, "auto",
              "Where checkpoints are stored: memory (one process: local mode and tests), redis "
              "(the redis.* keys say which server), or auto: memory in local mode, redis on a "
              "cluster."),
      KeySpec(kTopologyStateFullEvery, Type::int64, 10,
              "A task writes all its state every this many checkpoints and only what changed in "
              "between; a restore reads at most this many parts per task.")
          .at_least(1)
          .at_most(1000),
      KeySpec(kTopologyStateCheckpointsRetained, Type::int64, 2,
              "Completed checkpoints kept; older ones and the parts only they needed are "
              "deleted.")
          .at_least(1),
      KeySpec(kTopologyStateSavepoint, Type::string, "",
              "The savepoint a stateful topology starts from while it has no checkpoint of its "
              "own (gale submit --from-savepoint); \"\": none."),
      KeySpec(kStormZookeeperServers, Type::string, "127.0.0.1:2181",
              "ZooKeeper servers, host:port[,host:port...]."),
      KeySpec(kStormZookeeperRoot, Type::string, "/gale",
              "ZooKeeper node under which Gale keeps its state."),
      KeySpec(kStormZookeeperSessionTimeout, Type::int64, 20000,
              "ZooKeeper session timeout in milliseconds.")
          .at_least(1000),
      KeySpec(kStormZookeeperOperationTimeout, Type::int64, 15000,
              "How long one ZooKeeper operation keeps retrying across a lost connection before "
              "it fails, in milliseconds (a daemon then carries on and tries again later).")
          .at_least(100),
      KeySpec(kStormZookeeperAuthPayload, Type::string, none,
              "user:password for ZooKeeper's digest scheme: Gale's nodes are created readable "
              "and writable by that identity only. Unset: open nodes (a warning says so)."),
      KeySpec(kStormLocalDir, Type::string, "gale-local",
              "Directory where a daemon keeps its files (Nimbus: artifacts; supervisor: "
              "artifacts, worker logs)."),
      KeySpec(kNimbusHost, Type::string, "127.0.0.1",
              "Address Nimbus's HTTP API listens on and clients call."),
      KeySpec(kNimbusPort, Type::int64, 6627, "Port of Nimbus's HTTP API.")
          .at_least(1)
          .at_most(65535),
      KeySpec(kNimbusTaskTimeoutSecs, Type::int64, 30,
              "A worker that has not heartbeaten for this long is considered dead and its work is "
              "reassigned.")
          .at_least(1),
      KeySpec(kNimbusMonitorFreqSecs, Type::int64, 2,
              "How often Nimbus checks heartbeats and supervisors.")
          .at_least(1),
      KeySpec(kNimbusMaxRequestBytes, Type::int64, 268435456,
              "The largest request body Nimbus reads, in bytes; a larger one is answered 413 "
              "from its header. A submit carries the topology's .so base64-encoded (4/3 of its "
              "size).")
          .at_least(1048576)
          .at_most(2147483648),
      KeySpec(kNimbusMaxConnections, Type::int64, 256,
              "How many connections Nimbus's API holds open at once; one more is closed as "
              "soon as it is accepted.")
          .at_least(4)
          .at_most(65536),
      KeySpec(kNimbusTlsCertFile, Type::string, none,
              "PEM certificate (chain) Nimbus's API presents over TLS; required while "
              "security.enabled."),
      KeySpec(kNimbusTlsKeyFile, Type::string, none,
              "PEM private key of nimbus.tls.cert.file; readable by Nimbus only."),
      KeySpec(kNimbusRequestsPerSec, Type::int64, 50,
              "API calls per second one principal (or, before it is known, one source address) "
              "may make, with bursts of twice as many; more are answered 429.")
          .at_least(1)
          .at_most(1000000),
      KeySpec(kNimbusAuditMaxBytes, Type::int64, 67108864,
              "Size at which Nimbus's audit log (<storm.local.dir>/audit/audit.log) is rotated.")
          .at_least(4096),
      KeySpec(kNimbusAuditMaxFiles, Type::int64, 10,
              "Rotated audit logs kept beside the current one (audit.log.1 the newest).")
          .at_least(1)
          .at_most(1000),
      KeySpec(kNimbusClientTimeoutSecs, Type::int64, 60,
              "How long the gale CLI waits for Nimbus to answer one request (connect, send the "
              "artifact, answer) before it fails with exit code 1.")
          .at_least(1)
          .at_most(3600),
      KeySpec(kNimbusMetricsHistoryIntervalSecs, Type::int64, 10,
              "How often Nimbus samples the heartbeats into the metric history: the finest "
              "resolution, kept 6 hours (minute averages are kept nimbus.metrics.history.days).")
          .at_least(1)
          .at_most(30),
      KeySpec(kNimbusMetricsHistoryDays, Type::int64, 7,
              "How many days the metric history keeps its minute averages.")
          .at_least(1)
          .at_most(90),
      KeySpec(kNimbusMetricsHistoryMaxSeries, Type::int64, 2000,
              "The most series (topology, component, figure, labels) the metric history keeps; "
              "the points of more are not kept.")
          .at_least(1)
          .at_most(1000000),
      KeySpec(kNimbusAnomalyNoThroughputSecs, Type::int64, 120,
              "Anomaly no_throughput: an active topology's spouts emitted nothing this long.")
          .at_least(1)
          .at_most(86400),
      KeySpec(kNimbusAnomalyFailedPerSec, Type::float64, 1.0,
              "Anomaly failed_tuples: a component failed more tuples a second than this.")
          .at_least(0),
      KeySpec(kNimbusAnomalyCapacity, Type::float64, 0.9,
              "Anomaly capacity: a component's capacity above this for "
              "nimbus.anomaly.capacity.secs.")
          .at_least(0),
      KeySpec(kNimbusAnomalyCapacitySecs, Type::int64, 60,
              "How long a capacity above nimbus.anomaly.capacity lasts before it is an anomaly.")
          .at_least(0)
          .at_most(86400),
      KeySpec(kNimbusAnomalyKafkaLagSecs, Type::int64, 300,
              "Anomaly kafka_lag_growing: a topology's Kafka lag grew at every sample this long.")
          .at_least(1)
          .at_most(86400),
      KeySpec(kNimbusAnomalyEventOpenSecs, Type::int64, 300,
              "How long an event anomaly (worker_restarted, checkpoint_failed) stays open.")
          .at_least(1)
          .at_most(86400),
      KeySpec(kNimbusAnomalyWebhookUrl, Type::string, "",
              "Where raised and cleared anomalies are POSTed as JSON (http:// or https://); "
              "empty: nowhere."),
      KeySpec(kNimbusAnomalyWebhookCaFile, Type::string, "",
              "The CA certificates an https webhook is verified against."),
      KeySpec(kNimbusAnomalyWebhookTokenFile, Type::string, "",
              "A file whose content is sent to the webhook as a bearer token; empty: none."),
      KeySpec(kNimbusUiDir, Type::string, "",
              "The console's files (scripts/build-console.sh), served at /ui/; empty: "
              "<gale-nimbus's folder>/../share/gale/console if it is there, else no console."),
      KeySpec(kQueryHost, Type::string, "127.0.0.1", "Address gale-query's API binds."),
      KeySpec(kQueryPort, Type::int64, 6630, "Port of gale-query's API.")
          .at_least(1)
          .at_most(65535),
      KeySpec(kQueryTemplates, Type::string, none,
              "The YAML file of gale-query's named, parameterized query templates; required "
              "by gale-query."),
      KeySpec(kQueryPageMaxRows, Type::int64, 1000,
              "The most rows one page of a query may ask for (limit); the default page is 100 "
              "rows or fewer.")
          .at_least(1)
          .at_most(100000),
      KeySpec(kQueryTimeoutMs, Type::int64, 5000,
              "How long one query may run in PostgreSQL (statement_timeout) before it is "
              "cancelled and answered 504.")
          .at_least(100)
          .at_most(600000),
      KeySpec(kQueryTlsCertFile, Type::string, none,
              "PEM certificate (chain) gale-query presents over TLS; required while "
              "security.enabled."),
      KeySpec(kQueryTlsKeyFile, Type::string, none,
              "PEM private key of query.tls.cert.file; readable by gale-query only."),
      KeySpec(kSupervisorId, Type::string, none,
              "A supervisor's id; unset: derived from host and ports."),
      KeySpec(kSupervisorHost, Type::string, "127.0.0.1",
              "Address a supervisor's workers bind and advertise."),
      KeySpec(kSupervisorSlotsPorts, Type::string, "6700,6701,6702,6703",
              "A supervisor's worker slots: comma-separated ports."),
      KeySpec(kSupervisorWorkerUser, Type::string, none,
              "The user a supervisor runs its workers as (Storm's "
              "supervisor.run.worker.as.user); unset: the supervisor's own."),
      KeySpec(kSupervisorLogviewerPort, Type::int64, 0,
              "Port of a supervisor's log server (Storm's logviewer), which answers Nimbus alone "
              "with its workers' logs (tail, pages, search); 0: none.")
          .at_least(0)
          .at_most(65535),
      KeySpec(kSupervisorTlsCertFile, Type::string, none,
              "PEM certificate (chain) a supervisor's log server presents over TLS; required "
              "with supervisor.logviewer.port while security.enabled."),
      KeySpec(kSupervisorTlsKeyFile, Type::string, none,
              "PEM private key of supervisor.tls.cert.file; readable by the supervisor only."),
      KeySpec(kWorkerHeartbeatFrequencySecs, Type::int64, 1,
              "How often a worker writes its heartbeat (with statistics) to ZooKeeper.")
          .at_least(1),
      KeySpec(kSecurityEnabled, Type::boolean, true,
              "Nimbus requires a valid token on every API call but the health check, and TLS; "
              "false only for development (Nimbus logs it loudly)."),
      KeySpec(kSecurityToken, Type::string, none,
              "The token a client (gale CLI, supervisor) presents to Nimbus; the environment "
              "variable GALE_TOKEN overrides it."),
      KeySpec(kSecurityTokenFile, Type::string, none,
              "A file holding the client's token (mode 0600); used when security.token and "
              "GALE_TOKEN are not set."),
      KeySpec(kSecurityTlsCaFile, Type::string, none,
              "PEM CA certificate(s) a client verifies Nimbus's certificate against; set: the "
              "client speaks TLS."),
  };
}

bool is_reserved(std::string_view key) {
  return std::any_of(kReservedPrefixes.begin(), kReservedPrefixes.end(),
                     [&](std::string_view prefix) { return key.starts_with(prefix); });
}

}  // namespace

bool Config::reserved(std::string_view key) {
  return is_reserved(key);
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

// The known key nearest to `key`, if one is near enough to be what the user meant.
const ConfigKey* nearest_key(std::string_view key) {
  const ConfigKey* best = nullptr;
  std::size_t best_distance = kMaxSuggestionDistance + 1;
  for (const ConfigKey& k : Config::schema()) {
    std::size_t d = edit_distance(key, k.name);
    if (d < best_distance) {
      best = &k;
      best_distance = d;
    }
  }
  return best;
}

ConfigResult unknown(std::string_view key, const ConfigKey* near) {
  std::string message = text::concat("unknown config key ", text::quoted(key));
  if (near != nullptr) {
    message += text::concat(" (did you mean ", text::quoted(near->name), "?)");
  } else {
    message +=
        " (keys under topology., worker., supervisor., nimbus., storm., security. and gale. "
        "are reserved for Gale; see docs/CONFIGURATION.md)";
  }
  return {ConfigResult::Status::unknown, std::move(message)};
}

std::string format_bound(const ConfigKey& key, double bound) {
  if (key.type == Type::int64) return std::to_string(static_cast<std::int64_t>(bound));
  return Value(bound).to_string();
}

// "an integer >= 1", "a number between 0 and 1", "true or false": what the key accepts.
std::string expected_form(const ConfigKey& key) {
  std::string form;
  switch (key.type) {
    case Type::boolean:
      return "true or false";
    case Type::string:
      return "a string";
    case Type::int64:
      form = "an integer";
      break;
    default:
      form = "a number";
      break;
  }
  if (key.min && key.max) {
    return text::concat(form, " between ", format_bound(key, *key.min), " and ",
                        format_bound(key, *key.max));
  }
  if (key.min) return text::concat(form, " >= ", format_bound(key, *key.min));
  if (key.max) return text::concat(form, " <= ", format_bound(key, *key.max));
  return form;
}

ConfigResult invalid(const ConfigKey& key, std::string_view given) {
  return {ConfigResult::Status::invalid,
          text::concat(key.name, ": expected ", expected_form(key), ", got ", given)};
}

// How a refused typed value is shown: its type too, since "3" and 3 look alike.
std::string describe(const Value& v) {
  if (v.is_null()) return "null";
  return text::concat(type_name(v.type()), " ", text::quoted(v.to_string()));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::optional<Value> parse_bool(std::string_view text) {
  for (std::string_view yes : {"true", "1", "yes"}) {
    if (equals_ignoring_case(text, yes)) return Value(true);
  }
  for (std::string_view no : {"false", "0", "no"}) {
    if (equals_ignoring_case(text, no)) return Value(false);
  }
  return std::nullopt;
}

// The whole of `text` as a T, or nothing: no spaces, no trailing characters.
template <class T>
std::optional<T> parse_number(std::string_view text) {
  T number{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

std::optional<Value> parse_as(Type type, std::string_view text) {
  switch (type) {
    case Type::boolean:
      return parse_bool(text);
    case Type::string:
      return Value(text);
    case Type::int64:
      if (auto n = parse_number<std::int64_t>(text)) return Value(*n);
      return std::nullopt;
    case Type::float64:
      if (auto d = parse_number<double>(text); d && std::isfinite(*d)) return Value(*d);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// `v` as a value of `type`: unchanged, or an int64 widened to double; nothing otherwise.
std::optional<Value> coerce(Type type, const Value& v) {
  if (v.type() == type) return v;
  if (type == Type::float64 && v.is_int()) return Value(v.as_double());
  return std::nullopt;
}

std::optional<Value> within_range(const ConfigKey& key, std::optional<Value> v) {
  if (!v || !(v->is_int() || v->is_double())) return v;
  double number = v->as_double();
  if ((key.min && number < *key.min) || (key.max && number > *key.max)) return std::nullopt;
  return v;
}

// The value of `key` as `type` for a typed getter, or nothing when unset and without default.
// User keys set from text are strings, so a string is parsed.
std::optional<Value> read_as(const Config& config, std::string_view key, Type type) {
  Value v = config.get(key);
  if (v.is_null()) return std::nullopt;
  std::optional<Value> converted = coerce(type, v);
  if (!converted && v.is_string()) converted = parse_as(type, v.as_string());
  if (!converted) {
    throw TypeError(text::concat("config key ", text::quoted(key), ": expected ", type_name(type),
                                 ", got ", describe(v)));
  }
  return converted;
}

}  // namespace

const std::vector<ConfigKey>& Config::schema() {
  static const std::vector<ConfigKey> kSchema = make_schema();
  return kSchema;
}

const ConfigKey* Config::find_key(std::string_view key) {
  const auto& keys = schema();
  auto it =
      std::find_if(keys.begin(), keys.end(), [&](const ConfigKey& k) { return k.name == key; });
  return it == keys.end() ? nullptr : &*it;
}

ConfigResult Config::set(std::string_view key, std::string_view text) {
  const ConfigKey* spec = find_key(key);
  if (spec == nullptr) return set_value(key, Value(text));
  std::optional<Value> v = within_range(*spec, parse_as(spec->type, text));
  if (!v) return invalid(*spec, text::quoted(text));
  entries_.insert_or_assign(std::string(key), std::move(*v));
  return {};
}

ConfigResult Config::set_value(std::string_view key, Value v) {
  const ConfigKey* spec = find_key(key);
  if (spec == nullptr) {
    // A key close to a known one is a typo even outside the reserved prefixes
    // ("topolgy.workers"); storing it as a user key would silently ignore it.
    const ConfigKey* near = nearest_key(key);
    if (near != nullptr || is_reserved(key)) return unknown(key, near);
    entries_.insert_or_assign(std::string(key), std::move(v));
    return {};
  }
  std::optional<Value> checked = within_range(*spec, coerce(spec->type, v));
  if (!checked) return invalid(*spec, describe(v));
  entries_.insert_or_assign(std::string(key), std::move(*checked));
  return {};
}

bool Config::contains(std::string_view key) const {
  return entries_.find(key) != entries_.end();
}

Value Config::get(std::string_view key) const {
  if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  if (const ConfigKey* spec = find_key(key)) return spec->default_value;
  return Value();
}

namespace {

// For the getters without a fallback: `key`'s value or schema default, never null.
Value required(const Config& config, std::string_view key) {
  Value v = config.get(key);
  if (!v.is_null()) return v;
  throw std::out_of_range(
      Config::find_key(key) != nullptr
          ? text::concat("config key ", text::quoted(key), " is not set and has no default")
          : text::concat("config key ", text::quoted(key),
                         " is not set and not in the schema: give the getter a fallback"));
}

}  // namespace

std::int64_t Config::get_int(std::string_view key) const {
  (void)required(*this, key);
  return read_as(*this, key, Type::int64)->as_int();
}

double Config::get_double(std::string_view key) const {
  (void)required(*this, key);
  return read_as(*this, key, Type::float64)->as_double();
}

bool Config::get_bool(std::string_view key) const {
  (void)required(*this, key);
  return read_as(*this, key, Type::boolean)->as_bool();
}

std::string Config::get_string(std::string_view key) const {
  return required(*this, key).to_string();
}

std::int64_t Config::get_int(std::string_view key, std::int64_t fallback) const {
  std::optional<Value> v = read_as(*this, key, Type::int64);
  return v ? v->as_int() : fallback;
}

std::int64_t Config::get_int_in(std::string_view key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) const {
  auto refuse = [&](const std::string& got) {
    return std::invalid_argument(std::string(key) + ": expected an integer in [" +
                                 std::to_string(min) + ", " + std::to_string(max) + "], got " +
                                 got);
  };
  std::int64_t value = fallback;
  try {
    value = get_int(key, fallback);
  } catch (const TypeError&) {
    throw refuse("\"" + get_string(key) + "\"");
  }
  if (value < min || value > max) throw refuse(std::to_string(value));
  return value;
}

double Config::get_double(std::string_view key, double fallback) const {
  std::optional<Value> v = read_as(*this, key, Type::float64);
  return v ? v->as_double() : fallback;
}

bool Config::get_bool(std::string_view key, bool fallback) const {
  std::optional<Value> v = read_as(*this, key, Type::boolean);
  return v ? v->as_bool() : fallback;
}

std::string Config::get_string(std::string_view key, std::string_view fallback) const {
  Value v = get(key);
  return v.is_null() ? std::string(fallback) : v.to_string();
}

Config Config::merged(const Config& over) const {
  Config result = *this;
  for (const auto& [key, value] : over.entries_) result.entries_.insert_or_assign(key, value);
  return result;
}

std::string blob_path(const Config& conf, std::string_view key) {
  std::string dir = conf.get_string(conf::kTopologyBlobsDir);
  if (dir.empty()) return {};
  if (dir.back() != '/') dir += '/';
  return dir + std::string(key);
}

}  // namespace gale
