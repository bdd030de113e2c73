#include "gale/testing/network_lab.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include "gale/testing/child_process.h"

namespace gale::testing {
namespace {

const std::string kIp = "/usr/sbin/ip";
constexpr std::size_t kMaxHosts = 8;

void ip(std::vector<std::string> args) {
  args.insert(args.begin(), kIp);
  auto r = run_command(args);
  if (r.exit_code != 0) {
    std::string line;
    for (const auto& a : args) line += a + " ";
    throw std::runtime_error("network lab: '" + line + "' failed: " + r.output);
  }
}

bool valid_host(const std::string& host) {
  return !host.empty() && host.size() <= 8 &&
         std::all_of(host.begin(), host.end(), [](char c) { return std::isalnum(c) || c == '-'; });
}

}  // namespace

bool NetworkLab::supported() {
  if (::geteuid() != 0 || ::access(kIp.c_str(), X_OK) != 0) return false;
  const std::string probe = "gale-" + std::to_string(::getpid()) + "-probe";
  if (run_command({kIp, "netns", "add", probe}).exit_code != 0) return false;
  run_command({kIp, "netns", "del", probe});
  return true;
}

NetworkLab::NetworkLab(std::vector<std::string> hosts)
    : prefix_("gale-" + std::to_string(::getpid()) + "-"), hosts_(std::move(hosts)) {
  if (hosts_.empty() || hosts_.size() > kMaxHosts)
    throw std::runtime_error("network lab: 1 to 8 hosts");
  for (const auto& h : hosts_)
    if (!valid_host(h)) throw std::runtime_error("network lab: bad host name '" + h + "'");
  remove_stale();
  try {
    const std::string sw = prefix_ + "switch";
    ip({"netns", "add", sw});
    made_.push_back(sw);
    ip({"-n", sw, "link", "add", "br0", "type", "bridge"});
    ip({"-n", sw, "link", "set", "br0", "up"});
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
      const std::string ns = netns(hosts_[i]);
      ip({"netns", "add", ns});
      made_.push_back(ns);
      ip({"-n", ns, "link", "set", "lo", "up"});
      ip({"-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port(i), "netns", sw});
      ip({"-n", ns, "addr", "add", address(hosts_[i]) + "/24", "dev", "eth0"});
      ip({"-n", ns, "link", "set", "eth0", "up"});
      ip({"-n", sw, "link", "set", port(i), "master", "br0"});
      ip({"-n", sw, "link", "set", port(i), "up"});
    }
  } catch (...) {
    for (const auto& ns : made_) run_command({kIp, "netns", "del", ns});
    throw;
  }
}

// Namespaces of labs whose test process is gone (killed before its destructor ran), and any of
// this pid's from a process that had it before.
void NetworkLab::remove_stale() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("gale-", 0) != 0) continue;
    const auto dash = name.find('-', 5);
    if (dash == std::string::npos) continue;
    const std::string pid = name.substr(5, dash - 5);
    if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
    if (name.rfind(prefix_, 0) == 0 || (::kill(std::stoi(pid), 0) != 0 && errno == ESRCH))
      run_command({kIp, "netns", "del", name});
  }
}

NetworkLab::~NetworkLab() {
  relays_.clear();
  if (home_fd_ >= 0) {
    ::setns(home_fd_, CLONE_NEWNET);
    ::close(home_fd_);
  }
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) run_command({kIp, "netns", "del", *it});
}

std::size_t NetworkLab::index(const std::string& host) const {
  auto it = std::find(hosts_.begin(), hosts_.end(), host);
  if (it == hosts_.end()) throw std::runtime_error("network lab: no host '" + host + "'");
  return static_cast<std::size_t>(it - hosts_.begin());
}

std::string NetworkLab::netns(const std::string& host) const {
  return prefix_ + hosts_[index(host)];
}

std::string NetworkLab::port(std::size_t i) {
  return "port" + std::to_string(i);
}

std::string NetworkLab::address(const std::string& host) const {
  return "10.77.0." + std::to_string(index(host) + 1);
}

std::vector<std::string> NetworkLab::on(const std::string& host,
                                        std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {kIp, "netns", "exec", netns(host)});
  return argv;
}

void NetworkLab::enter(const std::string& host) {
  if (home_fd_ < 0) home_fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const std::string path = "/run/netns/" + netns(host);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("network lab: cannot open " + path);
  const int rc = ::setns(fd, CLONE_NEWNET);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("network lab: cannot enter " + path);
}

void NetworkLab::cut(const std::string& host) {
  ip({"-n", prefix_ + "switch", "link", "set", port(index(host)), "down"});
}

void NetworkLab::heal(const std::string& host) {
  ip({"-n", prefix_ + "switch", "link", "set", port(index(host)), "up"});
}

void NetworkLab::share(const std::string& host, int port, const std::string& log_dir) {
  const std::string p = std::to_string(port);
  const std::string there = address(host);
  auto relay = [&](const std::string& on_host, const std::string& listen, const std::string& to) {
    relays_.push_back(std::make_unique<ChildProcess>(
        on(on_host, {"/usr/bin/socat", "TCP-LISTEN:" + p + ",bind=" + listen + ",fork,reuseaddr",
                     "TCP:" + to + ":" + p}),
        log_dir + "/relay-" + on_host + "-" + p + ".log"));
  };
  relay(host, there, "127.0.0.1");
  for (const auto& other : hosts_)
    if (other != host) relay(other, "127.0.0.1", there);
}

}  // namespace gale::testing
