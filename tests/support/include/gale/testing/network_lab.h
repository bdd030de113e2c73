#pragma once
// NetworkLab: several hosts inside this machine, for multi-host and partition tests. Each host
// is a network namespace with one interface (eth0, 10.77.0.<n>/24) whose veth peer is plugged
// into a bridge in a "switch" namespace; no address outside these namespaces is ever used, and
// the machine's own network is not touched. Namespace names carry the test process's pid, so
// tests running beside each other do not meet. Needs root and iproute2 (`ip netns`).
//
// A process runs on a host through on(host, argv) (`ip netns exec`). The calling thread can
// join a host with enter(host): threads and processes it starts afterwards are on that host
// too (a test's ZooKeeper client, the CLI). cut(host) takes the host's cable out (its switch
// port down): nothing reaches it or leaves it until heal(host). share(host, port) makes a
// server on 127.0.0.1:port of one host (one that can only listen on loopback, like librdkafka's
// mock cluster) reachable as 127.0.0.1:port on every other host, through socat relays that go
// over the lab's network (so a cut host loses it too). Not thread-safe: one test thread. The
// destructor returns the thread to the namespace it came from and deletes every namespace
// (processes still inside lose their network; stop them first).
#include <memory>
#include <string>
#include <vector>

#include "gale/testing/child_process.h"

namespace gale::testing {

class NetworkLab {
 public:
  // Whether this machine can host a lab (root, `ip netns` works); a test skips otherwise.
  static bool supported();

  // Makes the switch and one namespace per host name (letters, digits, '-'; at most 8). Throws
  // std::runtime_error naming the `ip` command that failed.
  explicit NetworkLab(std::vector<std::string> hosts);
  ~NetworkLab();
  NetworkLab(const NetworkLab&) = delete;
  NetworkLab& operator=(const NetworkLab&) = delete;

  // The host's address ("10.77.0.<n>"); throws for an unknown host.
  std::string address(const std::string& host) const;
  // `argv` run on the host: {"ip", "netns", "exec", <namespace>, argv...}.
  std::vector<std::string> on(const std::string& host, std::vector<std::string> argv) const;
  // Moves the calling thread into the host's namespace.
  void enter(const std::string& host);
  void cut(const std::string& host);
  void heal(const std::string& host);
  // Relays 127.0.0.1:port of every other host to 127.0.0.1:port of `host`; the relays' logs go
  // to `log_dir`.
  void share(const std::string& host, int port, const std::string& log_dir);

 private:
  void remove_stale();
  std::size_t index(const std::string& host) const;
  std::string netns(const std::string& host) const;
  static std::string port(std::size_t i);  // the host's veth peer in the switch

  std::string prefix_;  // "gale-<pid>-"
  std::vector<std::string> hosts_;
  std::vector<std::string> made_;  // namespaces created, for the destructor
  std::vector<std::unique_ptr<ChildProcess>> relays_;
  int home_fd_ = -1;  // the calling thread's namespace before enter()
};

}  // namespace gale::testing
