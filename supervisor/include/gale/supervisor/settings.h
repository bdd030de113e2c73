#pragma once
// SupervisorSettings: everything a supervisor needs to run, read from a gale::Config (gale.yaml
// plus -c flags, see gale/common/daemon_config.h) and a few command-line choices.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gale/common/process.h"
#include "gale/config.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/nimbus/client.h"
#include "gale/supervisor/errc.h"

namespace gale::supervisor {

struct SupervisorSettings {
  std::string id;                   // supervisor.id, or "<host>-<first port>"
  std::string host;                 // supervisor.host: what its workers bind and advertise
  std::vector<int> ports;           // supervisor.slots.ports: one worker slot per port
  std::filesystem::path local_dir;  // storm.local.dir, absolute: artifacts/ and logs/ below it
  coordination::ZooKeeperOptions zookeeper;  // storm.zookeeper.*
  // Where artifacts are downloaded from: nimbus.host, nimbus.port, the supervisor's token
  // (role "supervisor") and the CA that Nimbus's certificate must chain to (security.*).
  nimbus::NimbusEndpoint nimbus;

  // How workers are started: `worker_bin run ... -c key=value ...` with the settings a worker
  // reads (storm.zookeeper.* but the auth payload, storm.local.dir,
  // worker.heartbeat.frequency.secs) as the supervisor has them; nothing else of its config.
  std::filesystem::path worker_bin;
  std::vector<std::string> worker_settings;
  // supervisor.worker.user, resolved: the user (and its group) workers run as; nothing: this
  // process's.
  std::optional<SpawnOptions::User> worker_user;

  // The log server (supervisor.logviewer.port; 0: none), TLS while `secure`
  // (security.enabled) with supervisor.tls.cert.file and supervisor.tls.key.file.
  int logviewer_port = 0;
  bool secure = true;
  std::string tls_cert_file;
  std::string tls_key_file;

  // Timings; the defaults suit production, tests shorten them.
  std::chrono::milliseconds resync_period{3000};          // full re-read of the assignments
  std::chrono::milliseconds registration_refresh{10000};  // re-register with a fresh uptime
  std::chrono::milliseconds kill_grace{5000};             // SIGTERM -> SIGKILL
  std::chrono::milliseconds download_timeout{60000};      // one artifact download
  std::chrono::milliseconds artifact_retry{10000};        // after a failed or refused download
};

// Reads the keys named above from `conf`. bad_setting naming the key (for instance a port list
// that is empty, not numeric, out of range or repeated; a log server without its certificate
// while security is on) otherwise.
Result<SupervisorSettings> settings_from_config(const Config& conf,
                                                const std::filesystem::path& worker_bin);

// "6700,6701" -> {6700, 6701}; bad_setting naming supervisor.slots.ports otherwise.
Result<std::vector<int>> parse_ports(std::string_view text);

// The gale-worker binary beside this process's executable (/proc/self/exe).
std::filesystem::path default_worker_bin();

}  // namespace gale::supervisor
