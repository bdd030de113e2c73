#pragma once
// Topology and component configuration: string keys, Storm's names where Storm has one.
//
// Keys in Gale's namespaces (topology., worker., supervisor., nimbus., storm., security., gale.)
// must be
// known: a misspelt key is refused with a suggestion, a value of the wrong type or out of
// range is refused with the expected form. Any other key (for example "wordcount.min.length"
// or "risk.rules.file") belongs to the topology and is stored as given.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/value.h"

namespace gale {

namespace conf {
// Storm's keys. Defaults and meanings: docs/CONFIGURATION.md (and Config::schema()).
inline constexpr const char* kTopologyName = "topology.name";
inline constexpr const char* kTopologyWorkers = "topology.workers";
inline constexpr const char* kTopologyAckerExecutors = "topology.acker.executors";
inline constexpr const char* kTopologyMaxSpoutPending = "topology.max.spout.pending";
inline constexpr const char* kTopologyMessageTimeoutSecs = "topology.message.timeout.secs";
inline constexpr const char* kTopologyEnableMessageTimeouts = "topology.enable.message.timeouts";
inline constexpr const char* kTopologyTickTupleFreqSecs = "topology.tick.tuple.freq.secs";
inline constexpr const char* kTopologyTickTupleFreqMs = "topology.tick.tuple.freq.ms";
inline constexpr const char* kTopologyDebug = "topology.debug";
inline constexpr const char* kTopologyDebugSampleRate = "topology.debug.sample.rate";
inline constexpr const char* kTopologyLogLevel = "topology.log.level";
inline constexpr const char* kTopologyMaxTaskParallelism = "topology.max.task.parallelism";
inline constexpr const char* kTopologyProducerBatchSize = "topology.producer.batch.size";
inline constexpr const char* kTopologyBatchFlushIntervalMillis =
    "topology.batch.flush.interval.millis";
inline constexpr const char* kTopologyExecutorReceiveBufferSize =
    "topology.executor.receive.buffer.size";
inline constexpr const char* kTopologyStatsSampleRate = "topology.stats.sample.rate";
inline constexpr const char* kTopologyMetricsMaxSeries = "topology.metrics.max.series";
inline constexpr const char* kTopologySpoutWaitParkMicrosec = "topology.spout.wait.park.microsec";
inline constexpr const char* kTopologySpoutWaitParkMaxMicrosec =
    "topology.spout.wait.park.max.microsec";
inline constexpr const char* kTopologyBoltWaitParkMicrosec = "topology.bolt.wait.park.microsec";
inline constexpr const char* kTopologyWaitSpinCount = "topology.wait.spin.count";
inline constexpr const char* kTopologyWaitYieldCount = "topology.wait.yield.count";
inline constexpr const char* kTopologyChaining = "topology.chaining";
inline constexpr const char* kTopologyWorkerCpus = "topology.worker.cpus";
inline constexpr const char* kTopologyBlobsDir = "topology.blobs.dir";
inline constexpr const char* kTopologyUsers = "topology.users";
inline constexpr const char* kTopologyStateCheckpointIntervalMs =
    "topology.state.checkpoint.interval.ms";
inline constexpr const char* kTopologyStateCheckpointTimeoutMs =
    "topology.state.checkpoint.timeout.ms";
inline constexpr const char* kTopologyStateBackend = "topology.state.backend";
inline constexpr const char* kTopologyStateFullEvery = "topology.state.full.every";
inline constexpr const char* kTopologyStateCheckpointsRetained =
    "topology.state.checkpoints.retained";
inline constexpr const char* kTopologyStateSavepoint = "topology.state.savepoint";
// Cluster daemons (gale.yaml or flags), Storm's names where Storm has one.
inline constexpr const char* kStormZookeeperServers = "storm.zookeeper.servers";
inline constexpr const char* kStormZookeeperRoot = "storm.zookeeper.root";
inline constexpr const char* kStormZookeeperSessionTimeout = "storm.zookeeper.session.timeout";
inline constexpr const char* kStormZookeeperOperationTimeout = "storm.zookeeper.operation.timeout";
inline constexpr const char* kStormZookeeperAuthPayload = "storm.zookeeper.auth.payload";
inline constexpr const char* kStormLocalDir = "storm.local.dir";
inline constexpr const char* kNimbusHost = "nimbus.host";
inline constexpr const char* kNimbusPort = "nimbus.port";
inline constexpr const char* kNimbusTaskTimeoutSecs = "nimbus.task.timeout.secs";
inline constexpr const char* kNimbusMonitorFreqSecs = "nimbus.monitor.freq.secs";
inline constexpr const char* kNimbusMaxRequestBytes = "nimbus.max.request.bytes";
inline constexpr const char* kNimbusMaxConnections = "nimbus.max.connections";
inline constexpr const char* kNimbusTlsCertFile = "nimbus.tls.cert.file";
inline constexpr const char* kNimbusTlsKeyFile = "nimbus.tls.key.file";
inline constexpr const char* kNimbusRequestsPerSec = "nimbus.requests.per.sec";
inline constexpr const char* kNimbusAuditMaxBytes = "nimbus.audit.max.bytes";
inline constexpr const char* kNimbusAuditMaxFiles = "nimbus.audit.max.files";
inline constexpr const char* kNimbusClientTimeoutSecs = "nimbus.client.timeout.secs";
// The metric history (docs/METRICS.md, "History").
inline constexpr const char* kNimbusMetricsHistoryIntervalSecs =
    "nimbus.metrics.history.interval.secs";
inline constexpr const char* kNimbusMetricsHistoryDays = "nimbus.metrics.history.days";
inline constexpr const char* kNimbusMetricsHistoryMaxSeries = "nimbus.metrics.history.max.series";
// Anomaly monitoring (docs/METRICS.md, "Anomalies").
inline constexpr const char* kNimbusAnomalyNoThroughputSecs = "nimbus.anomaly.no.throughput.secs";
inline constexpr const char* kNimbusAnomalyFailedPerSec = "nimbus.anomaly.failed.per.sec";
inline constexpr const char* kNimbusAnomalyCapacity = "nimbus.anomaly.capacity";
inline constexpr const char* kNimbusAnomalyCapacitySecs = "nimbus.anomaly.capacity.secs";
inline constexpr const char* kNimbusAnomalyKafkaLagSecs = "nimbus.anomaly.kafka.lag.secs";
inline constexpr const char* kNimbusAnomalyEventOpenSecs = "nimbus.anomaly.event.open.secs";
inline constexpr const char* kNimbusAnomalyWebhookUrl = "nimbus.anomaly.webhook.url";
inline constexpr const char* kNimbusAnomalyWebhookCaFile = "nimbus.anomaly.webhook.ca.file";
inline constexpr const char* kNimbusAnomalyWebhookTokenFile = "nimbus.anomaly.webhook.token.file";
inline constexpr const char* kNimbusUiDir = "nimbus.ui.dir";
// gale-query, the data service over result tables (query/README.md).
inline constexpr const char* kQueryHost = "query.host";
inline constexpr const char* kQueryPort = "query.port";
inline constexpr const char* kQueryTemplates = "query.templates";
inline constexpr const char* kQueryPageMaxRows = "query.page.max.rows";
inline constexpr const char* kQueryTimeoutMs = "query.timeout.ms";
inline constexpr const char* kQueryTlsCertFile = "query.tls.cert.file";
inline constexpr const char* kQueryTlsKeyFile = "query.tls.key.file";
inline constexpr const char* kSupervisorId = "supervisor.id";
inline constexpr const char* kSupervisorHost = "supervisor.host";
inline constexpr const char* kSupervisorSlotsPorts = "supervisor.slots.ports";
inline constexpr const char* kSupervisorWorkerUser = "supervisor.worker.user";
inline constexpr const char* kSupervisorLogviewerPort = "supervisor.logviewer.port";
inline constexpr const char* kSupervisorTlsCertFile = "supervisor.tls.cert.file";
inline constexpr const char* kSupervisorTlsKeyFile = "supervisor.tls.key.file";
inline constexpr const char* kWorkerHeartbeatFrequencySecs = "worker.heartbeat.frequency.secs";
// Security (docs/SECURITY.md): Nimbus's switch, and what a client (CLI, supervisor) presents.
inline constexpr const char* kSecurityEnabled = "security.enabled";
inline constexpr const char* kSecurityToken = "security.token";
inline constexpr const char* kSecurityTokenFile = "security.token.file";
inline constexpr const char* kSecurityTlsCaFile = "security.tls.ca.file";
}  // namespace conf

// Outcome of Config::set. Converts to true only when the value was stored.
struct ConfigResult {
  enum class Status { ok, unknown, invalid };
  Status status = Status::ok;
  std::string message;  // empty when ok; otherwise names the key and what was expected
  explicit operator bool() const { return status == Status::ok; }
};

// One known key: its type, default, allowed range and meaning.
struct ConfigKey {
  std::string name;
  Value::Type type;
  Value default_value;  // null: no default (unset unless given)
  std::optional<double> min;
  std::optional<double> max;
  std::string doc;
  bool per_component = false;  // may also be set per component (TopologyBuilder)
};

class Config {
 public:
  Config() = default;

  // Parses text ("3", "true", "0.5", "word") into the key's type. For CLI flags and files.
  ConfigResult set(std::string_view key, std::string_view text);
  ConfigResult set(std::string_view key, const char* text) {
    return set(key, std::string_view(text));
  }
  ConfigResult set(std::string_view key, std::int64_t v) { return set_value(key, Value(v)); }
  ConfigResult set(std::string_view key, int v) { return set_value(key, Value(v)); }
  ConfigResult set(std::string_view key, double v) { return set_value(key, Value(v)); }
  ConfigResult set(std::string_view key, bool v) { return set_value(key, Value(v)); }
  ConfigResult set_value(std::string_view key, Value v);

  bool contains(std::string_view key) const;
  // The value set, else the schema default, else null.
  Value get(std::string_view key) const;
  // Typed getters without a fallback: the value set, else the schema's default. A default lives
  // in one place, the schema (docs/CONFIGURATION.md): callers do not repeat it. Throws
  // std::out_of_range naming the key when there is neither a value nor a default (a key the
  // schema does not know, or one it knows without a default, that was not set).
  std::int64_t get_int(std::string_view key) const;
  double get_double(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  // Typed getters with a fallback, for a topology's own keys (outside the schema): the value
  // set, else the schema default, else `fallback`.
  std::int64_t get_int(std::string_view key, std::int64_t fallback) const;
  double get_double(std::string_view key, double fallback) const;
  bool get_bool(std::string_view key, bool fallback) const;
  std::string get_string(std::string_view key, std::string_view fallback) const;
  // get_int(key, fallback) for a connector's own keys that must lie in [min, max]: anything else
  // (a value out of range, one that is not an integer) throws std::invalid_argument naming the
  // key, the value given and the range, e.g. `redis.port: expected an integer in [1, 65535],
  // got "abc"`.
  std::int64_t get_int_in(std::string_view key, std::int64_t fallback, std::int64_t min,
                          std::int64_t max) const;

  // Keys set explicitly, sorted.
  const std::map<std::string, Value, std::less<>>& entries() const { return entries_; }
  // This config with every key of `over` set on top.
  Config merged(const Config& over) const;

  // Every key Gale knows, in documentation order.
  static const std::vector<ConfigKey>& schema();
  static const ConfigKey* find_key(std::string_view key);
  // Whether `key` is under one of Gale's own prefixes (topology., worker., supervisor., nimbus.,
  // storm., security., gale., query.): every other key belongs to the topology.
  static bool reserved(std::string_view key);

 private:
  std::map<std::string, Value, std::less<>> entries_;
};

// The file of blob `key` in the topology's blobs folder (topology.blobs.dir), or "" when the
// topology has none. The file may be missing (no such blob) and may be replaced at any time:
// read it whole, and re-read it when its modification time changes.
std::string blob_path(const Config& conf, std::string_view key);

}  // namespace gale
