#pragma once
// A small HTTP/1.1 server on Boost.Beast: accepts connections on one address, reads each
// request whole (body up to kMaxBodyBytes), answers it with the handler's response, keeps the
// connection alive as the client asks.
// Threads: everything runs on the io_context's thread(s); the handler is called there,
// synchronously, so a slow handler delays other requests.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <functional>
#include <string>

#include "gale/nimbus/errors.h"

namespace gale::nimbus {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // the path, with any query
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  static constexpr std::size_t kMaxBodyBytes = 512u << 20;  // a topology .so, base64-encoded

  // Borrows `io`, which must outlive this. Listening starts in start().
  HttpServer(boost::asio::io_context& io, HttpHandler handler);

  // Binds host:port (port 0: any free port) and starts accepting. internal naming the address
  // if it cannot bind.
  Status start(const std::string& host, int port);
  // The bound port (after start()).
  int port() const;

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  HttpHandler handler_;
};

}  // namespace gale::nimbus
