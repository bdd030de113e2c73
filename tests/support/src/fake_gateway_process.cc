#include "gale/testing/fake_gateway_process.h"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gale::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::string& body, const Headers& headers) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  request.keep_alive(false);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  beast::error_code failed;
  stream.async_connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
      [&](beast::error_code ec) {
        if (ec) return void(failed = ec);
        http::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
          if (ec) return void(failed = ec);
          http::async_read(stream, buffer, response,
                           [&](beast::error_code ec, std::size_t) { failed = ec; });
        });
      });
  io.run();
  if (failed) {
    throw std::runtime_error(method + " " + target + " to 127.0.0.1:" + std::to_string(port) +
                             ": " + failed.message());
  }
  return {static_cast<int>(response.result_int()), response.body()};
}

FakeGatewayProcess::FakeGatewayProcess(std::vector<std::string> flags, int port)
    : flags_(std::move(flags)) {
  char path[] = "/tmp/gale-sms-fake-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("cannot create a log file for the fake gateway");
  close(fd);
  log_path_ = path;
  start(port);
}

FakeGatewayProcess::~FakeGatewayProcess() {
  stop();
  unlink(log_path_.c_str());
}

void FakeGatewayProcess::restart() {
  stop();
  start(port_);
}

std::string FakeGatewayProcess::output() const {
  return read_file(log_path_);
}

void FakeGatewayProcess::start(int port) {
  std::size_t seen = output().size();  // the line to wait for is after what earlier runs printed
  std::vector<std::string> argv{GALE_SMS_GATEWAY_FAKE, "--port", std::to_string(port)};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  process_ = std::make_unique<ChildProcess>(argv, log_path_);
  const std::string marker = "listening on 127.0.0.1:";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = output().substr(seen);
    std::size_t at = out.find(marker);
    std::size_t end = at == std::string::npos ? at : out.find('\n', at);
    if (end != std::string::npos) {
      port_ = std::stoi(out.substr(at + marker.size(), end - at - marker.size()));
      return;
    }
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process_.reset();
  throw std::runtime_error("gale-sms-gateway-fake did not start; it printed:\n" +
                           output().substr(seen));
}

CommandResult run_fake_gateway(const std::vector<std::string>& flags) {
  std::vector<std::string> argv{GALE_SMS_GATEWAY_FAKE};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return run_command(argv);
}

}  // namespace gale::testing
