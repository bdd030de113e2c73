#include "artifact_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gale::supervisor::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct ArtifactServer::Io {
  asio::io_context context;
  tcp::acceptor acceptor{context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
};

namespace {
constexpr std::string_view kPrefix = "/api/v1/artifacts/";
}

ArtifactServer::ArtifactServer() : io_(std::make_unique<Io>()) {
  port_ = io_->acceptor.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_->context.run(); });
}

ArtifactServer::~ArtifactServer() {
  io_->context.stop();
  thread_.join();
}

void ArtifactServer::put(const std::string& name, std::string bytes) {
  std::lock_guard lock(mutex_);
  artifacts_[name] = std::move(bytes);
}

std::string ArtifactServer::last_authorization() {
  std::lock_guard lock(mutex_);
  return last_authorization_;
}

std::string ArtifactServer::body_for(const std::string& target) {
  if (target.rfind(kPrefix, 0) != 0) return {};
  std::lock_guard lock(mutex_);
  auto found = artifacts_.find(target.substr(kPrefix.size()));
  return found == artifacts_.end() ? std::string{} : found->second;
}

// Serves one request per connection, synchronously on the server's thread (tests are light).
void ArtifactServer::accept() {
  io_->acceptor.async_accept([this](boost::beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (!ec) {
      {
        std::lock_guard lock(mutex_);
        last_authorization_ = std::string(request[http::field::authorization]);
      }
      ++requests_;
      std::string body = body_for(std::string(request.target()));
      http::response<http::string_body> response{
          body.empty() ? http::status::not_found : http::status::ok, request.version()};
      response.body() = std::move(body);
      response.prepare_payload();
      http::write(socket, response, ec);
    }
    accept();
  });
}

}  // namespace gale::supervisor::testing
