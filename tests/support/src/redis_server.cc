#include "gale/testing/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gale::testing {

namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";
constexpr auto kStartLimit = std::chrono::seconds(10);

// Sends one inline command to 127.0.0.1:port and returns what came back before the server
// answered or closed ("" when nothing is listening).
std::string send_inline(int port, const std::string& command) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, command.data(), command.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(command.size())) {
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) reply.assign(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return reply;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

RedisServer::RedisServer() {
  char dir[] = "/tmp/gale-redis-XXXXXX";
  if (mkdtemp(dir) == nullptr)
    throw std::runtime_error("RedisServer: cannot create a temporary dir");
  dir_ = dir;
  // A free port can be taken by someone else before redis binds it: then try another.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 3) {
        std::filesystem::remove_all(dir_);
        throw;
      }
    }
  }
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool RedisServer::running() {
  return process_ && process_->running();
}

void RedisServer::stop() {
  resume();  // a stopped process would not act on SIGTERM
  process_.reset();
}

void RedisServer::pause() {
  if (!running() || paused_) return;
  kill(process_->pid(), SIGSTOP);
  paused_ = true;
}

void RedisServer::resume() {
  if (!paused_) return;
  if (process_) kill(process_->pid(), SIGCONT);
  paused_ = false;
}

void RedisServer::stop_keeping_data() {
  resume();
  if (!running()) return;
  send_inline(port_, "SHUTDOWN SAVE\r\n");
  auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (running()) throw std::runtime_error("RedisServer: SHUTDOWN SAVE did not stop the server");
  process_.reset();
}

void RedisServer::restart() {
  stop();
  start();
}

void RedisServer::start() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kRedisServer, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", dir_},
      log_path());
  auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (answers_ping()) return;
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process_.reset();
  throw std::runtime_error("RedisServer: redis-server on port " + std::to_string(port_) +
                           " did not answer PING; its log:\n" + read_file(log_path()));
}

bool RedisServer::answers_ping() const {
  return send_inline(port_, "PING\r\n") == "+PONG\r\n";
}

}  // namespace gale::testing
