#include "gale/testing/zookeeper_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gale::coordination::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Closes a socket descriptor when it goes out of scope.
class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in ipv4(const std::string& host, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    throw std::runtime_error("not an IPv4 address: " + host);
  return address;
}

// A port the kernel considers free on 127.0.0.1 right now.
int free_port() {
  Socket socket;
  sockaddr_in address = ipv4("127.0.0.1", 0);
  if (::bind(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("bind 127.0.0.1:0 failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "gale-zk-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ZooKeeperServer::ZooKeeperServer() : ZooKeeperServer(Options{}) {}

ZooKeeperServer::ZooKeeperServer(Options options)
    : options_(std::move(options)), dir_(make_temp_dir()) {
  if (options_.port == 0) options_.port = free_port();
  write_config();
  try {
    start();
  } catch (...) {
    std::filesystem::remove_all(dir_);
    throw;
  }
}

ZooKeeperServer::~ZooKeeperServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string ZooKeeperServer::connect_string() const {
  return options_.address + ":" + std::to_string(options_.port);
}

void ZooKeeperServer::write_config() const {
  std::ofstream cfg(dir_ / "zoo.cfg");
  cfg << "tickTime=500\n"
      << "dataDir=" << (dir_ / "data").string() << "\n"
      << "clientPort=" << options_.port << "\n"
      << "clientPortAddress=" << options_.address << "\n"
      << "admin.enableServer=false\n"
      << "4lw.commands.whitelist=ruok\n"
      << "minSessionTimeout=" << kMinSessionTimeout.count() << "\n"
      << "maxSessionTimeout=" << kMaxSessionTimeout.count() << "\n";
  if (options_.ensemble.empty()) return;
  cfg << "initLimit=10\nsyncLimit=5\n";
  for (std::size_t i = 0; i < options_.ensemble.size(); ++i)
    cfg << "server." << i + 1 << "=" << options_.ensemble[i] << ":2888:3888\n";
  std::filesystem::create_directories(dir_ / "data");
  std::ofstream(dir_ / "data" / "myid") << options_.id << "\n";
}

void ZooKeeperServer::start() {
  // The Debian package's scripts run QuorumPeerMain with zookeeper.jar (whose manifest names its
  // dependencies); slf4j-simple at "error" keeps it quiet, logging to zookeeper.log.
  const std::string config = (dir_ / "zoo.cfg").string();
  const std::string log = (dir_ / "zookeeper.log").string();
  std::vector<std::string> args = {"java",
                                   "-Xmx128m",
                                   "-XX:+UseSerialGC",
                                   "-XX:TieredStopAtLevel=1",
                                   "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                                   "-Dzookeeper.jmx.log4j.disable=true",
                                   "-cp",
                                   "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
                                   "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                                   config};
  args.insert(args.begin(), options_.launch.begin(), options_.launch.end());
  SpawnOptions options;
  options.argv = std::move(args);
  options.search_path = true;
  options.output = SpawnOptions::Output::append;
  options.log_path = log;
  options.die_with_parent = true;  // do not outlive a crashed test
  try {
    process_ = spawn(options);
  } catch (const SpawnError& e) {
    throw std::runtime_error(std::string("ZooKeeper did not start: ") + e.what());
  }

  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!answers_ruok()) {
    if (Clock::now() >= deadline || !process_.running()) {
      stop();
      throw std::runtime_error("ZooKeeper did not start; its log:\n" + read_file(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void ZooKeeperServer::stop() {
  process_.stop(SIGTERM, std::chrono::seconds(5));
  process_ = Process();
}

bool ZooKeeperServer::answers_ruok() const {
  Socket socket;
  sockaddr_in address = ipv4(options_.address, options_.port);
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return false;
  }
  if (::send(socket.fd(), "ruok", 4, MSG_NOSIGNAL) != 4) return false;
  char reply[4] = {};
  std::size_t got = 0;
  while (got < sizeof reply) {
    const ssize_t n = ::recv(socket.fd(), reply + got, sizeof reply - got, 0);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return std::string_view(reply, sizeof reply) == "imok";
}

}  // namespace gale::coordination::testing
