#include "gale/nimbus/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace gale::nimbus {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

// (boost::none would compare below every Content-Length and refuse them all.)
constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();
constexpr std::chrono::seconds kReadHeaderTimeout{60};
constexpr std::chrono::seconds kReadBodyTimeout{600};  // a large submit on a slow link
constexpr std::chrono::seconds kWriteTimeout{60};
constexpr std::chrono::seconds kLingerOnClose{1};
constexpr std::chrono::seconds kHandshakeTimeout{30};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What a request whose handler threw is answered (the handler's error is logged).
constexpr const char* kInternalError = R"json({"error":"internal error (see the log)"})json";

}  // namespace

// Counts open connections, in all and per source address; shared with the sessions, which may
// end after the server (on the io_context's or a handler's thread).
class HttpServer::Connections {
 public:
  explicit Connections(std::size_t max)
      : max_(max), max_per_address_(std::max<std::size_t>(max / 4, 1)) {}
  // Takes a place for `address`; false when there is none (the connection is then closed).
  bool take(const std::string& address) {
    std::lock_guard lock(mutex_);
    auto& mine = per_address_[address];
    if (total_ >= max_ || mine >= max_per_address_) {
      if (mine == 0) per_address_.erase(address);
      return false;
    }
    ++total_;
    ++mine;
    return true;
  }
  void release(const std::string& address) {
    std::lock_guard lock(mutex_);
    --total_;
    if (--per_address_[address] == 0) per_address_.erase(address);
  }

 private:
  const std::size_t max_, max_per_address_;
  std::mutex mutex_;
  std::size_t total_ = 0;
  std::map<std::string, std::size_t> per_address_;
};

namespace {

// A place among the server's connections, given back when the session ends.
class ConnectionPlace {
 public:
  ConnectionPlace(std::shared_ptr<HttpServer::Connections> connections, std::string address)
      : connections_(std::move(connections)), address_(std::move(address)) {}
  ~ConnectionPlace() { connections_->release(address_); }
  ConnectionPlace(const ConnectionPlace&) = delete;
  ConnectionPlace& operator=(const ConnectionPlace&) = delete;

 private:
  std::shared_ptr<HttpServer::Connections> connections_;
  std::string address_;
};

// One connection over `Stream` (plain TCP, or TLS over it): (TLS: the handshake,) read a
// request's header, refuse it at once if its body is too large, else read the body, hand the
// request to the handler pool, write the answer back on the connection's own thread, repeat
// while keep-alive. Owns itself through the shared_ptr its pending operation holds.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... StreamArgs>
  Session(const HttpHandler& handler, const HeaderCheck& check, boost::asio::thread_pool& handlers,
          std::size_t max_body_bytes, std::unique_ptr<ConnectionPlace> place,
          StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        handler_(handler),
        check_(check),
        handlers_(handlers),
        max_body_bytes_(max_body_bytes),
        place_(std::move(place)) {}

  void start() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      lowest().expires_after(kHandshakeTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    } else {
      read();
    }
  }

 private:
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read() {
    parser_.emplace();
    parser_->body_limit(kNoLimit);               // the header is judged first, in read_body()
    lowest().expires_after(kReadHeaderTimeout);  // also ends idle keep-alive connections
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (!ec) self->read_body();
                            });
  }

  void read_body() {
    auto declared = parser_->content_length();
    if (declared && *declared > max_body_bytes_) return too_large(*declared);
    if (!check_ || parser_->is_done()) return go_on();
    // A body is coming: the header is judged first (a token is checked against ZooKeeper, so
    // on the handler pool), and a refused caller's body is never read.
    boost::asio::post(handlers_, [self = shared_from_this(), in = request_of(parser_->get())] {
      std::optional<HttpResponse> refusal;
      try {
        refusal = self->check_(in);
      } catch (const std::exception& e) {  // as in handle(): answered, never the end of it
        spdlog::error("{} {}: {}", in.method, in.target.substr(0, in.target.find('?')), e.what());
        refusal = HttpResponse{500, "application/json", kInternalError};
      }
      boost::asio::post(self->stream_.get_executor(), [self, refusal = std::move(refusal)] {
        if (!refusal) return self->go_on();
        self->write(self->parser_->get().version(), false, *refusal);
      });
    });
  }

  void go_on() {
    parser_->body_limit(max_body_bytes_);  // a chunked body is cut where it grows too large
    // A client that waits for our word before sending a large body (Expect: 100-continue,
    // as gale's own client does) gets it now.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                      parser_->get().version());
      return http::async_write(
          stream_, *go_on, [self = shared_from_this(), go_on](beast::error_code ec, std::size_t) {
            if (!ec) self->read_rest();
          });
    }
    read_rest();
  }

  void read_rest() {
    if (parser_->is_done()) return handle();  // no body
    lowest().expires_after(kReadBodyTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec == http::error::body_limit) return self->too_large(std::nullopt);
                       if (!ec) self->handle();
                     });
  }

  // 413, then close: the body is not read (only drained for a moment after the answer, so
  // that closing with unread data does not reset the connection before the client reads it).
  void too_large(std::optional<std::uint64_t> declared) {
    std::string size = declared ? "of " + std::to_string(*declared) + " bytes " : "";
    write(parser_->get().version(), false,
          {413, "application/json",
           R"({"error": "the request body )" + size + "is over nimbus.max.request.bytes (" +
               std::to_string(max_body_bytes_) + " bytes)\"}"});
  }

  void drain() {
    lowest().async_read_some(boost::asio::buffer(discard_),
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (!ec) self->drain();
                             });
  }

  // The request as the handlers see it (the body as read so far).
  HttpRequest request_of(const http::request<http::string_body>& request) {
    beast::error_code ignored;
    auto peer = lowest().socket().remote_endpoint(ignored);
    return {std::string(request.method_string()), std::string(request.target()), request.body(),
            std::string(request[http::field::authorization]),
            ignored ? std::string("unknown") : peer.address().to_string()};
  }

  void handle() {
    auto request = parser_->release();
    unsigned version = request.version();
    bool keep_alive = request.keep_alive();
    HttpRequest in = request_of(request);
    boost::asio::post(handlers_, [self = shared_from_this(), in = std::move(in), version,
                                  keep_alive]() mutable {
      HttpResponse reply;
      try {
        reply = self->handler_(in);
      } catch (const std::exception& e) {  // a bug in a handler must not end the process
        spdlog::error("{} {}: {}", in.method, in.target.substr(0, in.target.find('?')), e.what());
        reply = {500, "application/json", kInternalError};
      }
      boost::asio::post(self->stream_.get_executor(),
                        [self, reply = std::move(reply), version, keep_alive]() mutable {
                          self->write(version, keep_alive, std::move(reply));
                        });
    });
  }

  void write(unsigned version, bool keep_alive, HttpResponse reply) {
    lowest().expires_after(kWriteTimeout);
    response_ = {};
    response_.version(version);
    response_.result(static_cast<http::status>(reply.status));
    response_.set(http::field::server, "gale-nimbus");
    response_.set(http::field::content_type, reply.content_type);
    // No answer is ever to be sniffed as another type than the one it names.
    response_.set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : reply.headers) response_.set(name, value);
    response_.keep_alive(keep_alive);
    response_.body() = std::move(reply.body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec || !self->response_.keep_alive()) {
                          beast::error_code ignored;
                          self->lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
                          if (!ec) {
                            self->lowest().expires_after(kLingerOnClose);
                            self->drain();
                          }
                          return;
                        }
                        self->read();
                      });
  }

  Stream stream_;
  const HttpHandler& handler_;  // the server's, which outlives every handler run (~HttpServer)
  const HeaderCheck& check_;    // the same
  boost::asio::thread_pool& handlers_;
  std::size_t max_body_bytes_;
  std::unique_ptr<ConnectionPlace> place_;  // given back when the session ends
  beast::flat_buffer buffer_;
  std::array<char, 16384> discard_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, HttpHandler handler, std::size_t max_body_bytes,
                       std::shared_ptr<boost::asio::ssl::context> tls, HeaderCheck check,
                       std::size_t max_connections)
    : io_(io),
      acceptor_(io),
      handler_(std::move(handler)),
      check_(std::move(check)),
      max_body_bytes_(max_body_bytes),
      connections_(std::make_shared<Connections>(max_connections)),
      tls_(std::move(tls)) {}

Result<std::shared_ptr<boost::asio::ssl::context>> HttpServer::tls_context(
    const std::string& cert_file, const std::string& key_file, std::string_view cert_key,
    std::string_view key_key) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  beast::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec)
    return make_error(NimbusErrc::internal,
                      std::string(cert_key) + ": cannot use '" + cert_file + "': " + ec.message());
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec)
    return make_error(NimbusErrc::internal,
                      std::string(key_key) + ": cannot use '" + key_file + "': " + ec.message());
  return context;
}

HttpServer::~HttpServer() {
  handlers_.join();
}

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
    beast::error_code no_peer;
    const auto peer = ec ? tcp::endpoint{} : socket.remote_endpoint(no_peer);
    const std::string address = no_peer ? "unknown" : peer.address().to_string();
    if (!ec && !connections_->take(address)) {
      socket.close(ec);  // over nimbus.max.connections (in all or for its address): unanswered
    } else if (!ec) {
      auto place = std::make_unique<ConnectionPlace>(connections_, address);
      if (tls_)
        std::make_shared<Session<TlsStream>>(handler_, check_, handlers_, max_body_bytes_,
                                             std::move(place), std::move(socket), *tls_)
            ->start();
      else
        std::make_shared<Session<beast::tcp_stream>>(handler_, check_, handlers_, max_body_bytes_,
                                                     std::move(place), std::move(socket))
            ->start();
    }
    accept();
  });
}

std::optional<std::string> query_value(std::string_view target, std::string_view key) {
  auto question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    std::string_view raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size()) {
        int v = 0;
        auto [end, ec] = std::from_chars(raw.data() + i + 1, raw.data() + i + 3, v, 16);
        if (ec == std::errc{} && end == raw.data() + i + 3) {
          out += static_cast<char>(v);
          i += 2;
          continue;
        }
      }
      out += raw[i] == '+' ? ' ' : raw[i];
    }
    return out;
  }
  return std::nullopt;
}

Result<std::int64_t> query_int(std::string_view target, const char* key, std::int64_t fallback,
                               std::int64_t lo, std::int64_t hi) {
  auto text = query_value(target, key);
  if (!text) return fallback;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value < lo || value > hi)
    return make_error(NimbusErrc::bad_request,
                      std::string("'") + key + "' must be an integer from " + std::to_string(lo) +
                          " to " + std::to_string(hi) + ", got '" + *text + "'");
  return value;
}

}  // namespace gale::nimbus
