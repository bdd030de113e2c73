#include "gale/testing/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gale::testing {

namespace {

SpawnOptions logged(const std::vector<std::string>& argv, const std::string& log_path,
                    std::optional<SpawnOptions::User> user = std::nullopt) {
  SpawnOptions options;
  options.user = user;
  options.argv = argv;
  options.output = SpawnOptions::Output::append;
  options.log_path = log_path;
  options.die_with_parent = true;
  return options;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path,
                           std::optional<SpawnOptions::User> user)
    : log_(std::move(log_path)) {
  try {
    process_ = spawn(logged(argv, log_, user));
  } catch (const SpawnError& e) {
    throw std::runtime_error(e.what());
  }
}

bool ChildProcess::running() {
  if (process_.running()) return true;
  process_ = Process();
  return false;
}

void ChildProcess::stop(int sig) {
  if (process_.pid() <= 0) return;
  process_.stop(sig, std::chrono::seconds(10));
  process_ = Process();
}

CommandResult run_command(const std::vector<std::string>& argv,
                          std::optional<SpawnOptions::User> user) {
  char path[] = "/tmp/gale-cmd-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  int status = spawn(logged(argv, path, user)).wait();
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ss.str()};
}

std::vector<int> free_ports(int n) {
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  return ports;
}

int free_port() {
  return free_ports(1).front();
}

}  // namespace gale::testing
