#include "gale/supervisor/settings.h"

#include <pwd.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "gale/coordination/records.h"

namespace gale::supervisor {
namespace {

Error bad_ports(std::string_view text, std::string_view why) {
  return make_error(SupervisorErrc::bad_setting, std::string(conf::kSupervisorSlotsPorts) + ": '" +
                                                     std::string(text) + "': " + std::string(why));
}

// One port of the list, surrounding blanks allowed.
Result<int> parse_port(std::string_view item, std::string_view text) {
  while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
  while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
  int port = 0;
  auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), port);
  if (item.empty() || ec != std::errc{} || end != item.data() + item.size()) {
    return bad_ports(text, "expected comma-separated port numbers");
  }
  if (port < 1 || port > 65535) return bad_ports(text, "ports must be within 1-65535");
  return port;
}

}  // namespace

Result<std::vector<int>> parse_ports(std::string_view text) {
  std::vector<int> ports;
  std::set<int> seen;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t comma = std::min(text.find(',', begin), text.size());
    auto port = parse_port(text.substr(begin, comma - begin), text);
    if (!port) return port.error();
    if (!seen.insert(*port).second) return bad_ports(text, "a port is listed twice");
    ports.push_back(*port);
    begin = comma + 1;
  }
  return ports;
}

Result<SupervisorSettings> settings_from_config(const Config& conf,
                                                const std::filesystem::path& worker_bin) {
  auto ports = parse_ports(conf.get_string(conf::kSupervisorSlotsPorts));
  if (!ports) return ports.error();
  SupervisorSettings s;
  s.host = conf.get_string(conf::kSupervisorHost);
  s.ports = std::move(ports).value();
  s.id = conf.get_string(conf::kSupervisorId, s.host + "-" + std::to_string(s.ports.front()));
  if (auto valid = coordination::validate_name(conf::kSupervisorId, s.id); !valid) {
    return make_error(SupervisorErrc::bad_setting, valid.error().message);
  }
  s.local_dir = std::filesystem::absolute(conf.get_string(conf::kStormLocalDir));
  s.zookeeper = coordination::ZooKeeperOptions::from(conf);
  auto nimbus = nimbus::endpoint_from_config(conf);
  if (!nimbus) return make_error(SupervisorErrc::bad_setting, nimbus.error().message);
  s.nimbus = std::move(nimbus).value();
  s.worker_bin = worker_bin;
  for (const char* key :
       {conf::kStormZookeeperServers, conf::kStormZookeeperRoot,
        conf::kStormZookeeperSessionTimeout, conf::kStormZookeeperOperationTimeout,
        conf::kWorkerHeartbeatFrequencySecs, conf::kNimbusTaskTimeoutSecs})
    if (conf.contains(key))
      s.worker_settings.push_back(std::string(key) + "=" + conf.get(key).to_string());
  s.worker_settings.push_back(std::string(conf::kStormLocalDir) + "=" + s.local_dir.string());
  s.logviewer_port = static_cast<int>(conf.get_int(conf::kSupervisorLogviewerPort));
  if (std::find(s.ports.begin(), s.ports.end(), s.logviewer_port) != s.ports.end())
    return make_error(SupervisorErrc::bad_setting,
                      std::string(conf::kSupervisorLogviewerPort) + ": " +
                          std::to_string(s.logviewer_port) +
                          " is one of supervisor.slots.ports; the log server needs a port of its "
                          "own");
  s.secure = conf.get_bool(conf::kSecurityEnabled);
  if (s.logviewer_port != 0 && s.secure) {
    for (const char* key : {conf::kSupervisorTlsCertFile, conf::kSupervisorTlsKeyFile})
      if (!conf.contains(key))
        return make_error(SupervisorErrc::bad_setting,
                          std::string(key) + " is not set: the log server (" +
                              conf::kSupervisorLogviewerPort +
                              ") speaks only TLS while security.enabled");
    s.tls_cert_file = conf.get_string(conf::kSupervisorTlsCertFile);
    s.tls_key_file = conf.get_string(conf::kSupervisorTlsKeyFile);
  }
  if (conf.contains(conf::kSupervisorWorkerUser)) {
    const std::string name = conf.get_string(conf::kSupervisorWorkerUser);
    const passwd* user = ::getpwnam(name.c_str());
    if (user == nullptr)
      return make_error(SupervisorErrc::bad_setting, std::string(conf::kSupervisorWorkerUser) +
                                                         ": no user '" + name + "' on this host");
    s.worker_user = SpawnOptions::User{user->pw_uid, user->pw_gid};
  }
  return s;
}

std::filesystem::path default_worker_bin() {
  std::error_code ignored;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ignored);
  return self.parent_path() / "gale-worker";
}

}  // namespace gale::supervisor
