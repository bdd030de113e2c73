#include "http_server.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

namespace gale::nimbus {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// One connection: read a request, answer it, repeat while keep-alive. Owns itself through
// the shared_ptr its pending operation holds.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandler& handler)
      : stream_(std::move(socket)), handler_(handler) {}

  void read() {
    parser_.emplace();
    parser_->body_limit(HttpServer::kMaxBodyBytes);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->answer();
                     });
  }

 private:
  void answer() {
    auto request = parser_->release();
    HttpResponse reply = handler_({std::string(request.method_string()),
                                   std::string(request.target()), std::move(request.body())});
    response_ = {};
    response_.version(request.version());
    response_.result(static_cast<http::status>(reply.status));
    response_.set(http::field::server, "gale-nimbus");
    response_.set(http::field::content_type, reply.content_type);
    response_.keep_alive(request.keep_alive());
    response_.body() = std::move(reply.body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec || !self->response_.keep_alive()) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->read();
                      });
  }

  beast::tcp_stream stream_;
  const HttpHandler& handler_;  // the server's, which outlives every session on its io_context
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, HttpHandler handler)
    : io_(io), acceptor_(io), handler_(std::move(handler)) {}

Status HttpServer::start(const std::string& host, int port) {
  beast::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  tcp::endpoint endpoint{address, static_cast<unsigned short>(port)};
  if (!ec) acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(NimbusErrc::internal, "cannot listen on " + host + ":" +
                                                std::to_string(port) + ": " + ec.message());
  accept();
  return {};
}

int HttpServer::port() const {
  return acceptor_.local_endpoint().port();
}

void HttpServer::accept() {
  acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), handler_)->read();
    accept();
  });
}

}  // namespace gale::nimbus
