#pragma once
// A small HTTP/1.1 server on Boost.Beast: accepts connections on one address, reads each
// request whole, answers it with the handler's response, keeps the connection alive as the
// client asks.
//
// A request whose declared body is over the limit is answered 413 from its header alone,
// before any of the body is read, and the connection is closed; a chunked body that grows over
// the limit gets the same answer when it does.
//
// Threads: the connections run on the io_context's thread; the handler runs on a pool of
// kHandlerThreads threads of the server's own, so that one slow request (a large submit being
// decoded and inspected) does not hold the others. The handler must be thread-safe.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/nimbus/errors.h"

namespace gale::nimbus {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // the path, with any query
  std::string body;
  std::string authorization;  // the Authorization header, "" if none
  std::string peer_address;   // the client's address ("127.0.0.1"), for limits and the audit log
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Further header fields (the console's Content-Security-Policy, a redirect's Location).
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// The value of `key` in a request target's query ("/x?from=1&names=a,b"), percent-decoded
// ('+' is a space); none when absent.
std::optional<std::string> query_value(std::string_view target, std::string_view key);
// The integer query value `key` from lo to hi, or `fallback` when absent; bad_request naming
// the key, the range and the value otherwise.
Result<std::int64_t> query_int(std::string_view target, const char* key, std::int64_t fallback,
                               std::int64_t lo, std::int64_t hi);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Judges a request from its header (its body still unread, HttpRequest::body empty): an answer
// to send instead of reading the body, after which the connection is closed; nothing to go on.
using HeaderCheck = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

class HttpServer {
 public:
  static constexpr int kHandlerThreads = 4;

  // Borrows `io`, which must outlive this. Listening starts in start(). Bodies over
  // `max_body_bytes` (nimbus.max.request.bytes) are refused with 413. With `tls`, every
  // connection must complete a TLS handshake first (plain HTTP is then never answered).
  // `check`, if given, runs (on the handler pool) on the header of every request that has a
  // body, before the body is read. At most `max_connections` connections are open at once, and
  // a quarter of them from one address; one more is closed as soon as it is accepted.
  HttpServer(boost::asio::io_context& io, HttpHandler handler, std::size_t max_body_bytes,
             std::shared_ptr<boost::asio::ssl::context> tls = nullptr, HeaderCheck check = {},
             std::size_t max_connections = 256);
  // A TLS server context (TLS 1.2 and later) with the PEM certificate chain and key; internal
  // naming the config key (`cert_key`, `key_key`) and the file that cannot be used.
  static Result<std::shared_ptr<boost::asio::ssl::context>> tls_context(
      const std::string& cert_file, const std::string& key_file,
      std::string_view cert_key = "nimbus.tls.cert.file",
      std::string_view key_key = "nimbus.tls.key.file");
  // Waits for the handlers already running; answers they post back to a stopped io_context
  // are dropped.
  ~HttpServer();

  class Connections;  // the open connections, in all and per address (http_server.cc)

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
  HeaderCheck check_;
  std::size_t max_body_bytes_;
  std::shared_ptr<Connections> connections_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::thread_pool handlers_{kHandlerThreads};
};

}  // namespace gale::nimbus
