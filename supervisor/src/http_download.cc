#include "http_download.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gale::supervisor {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::uint64_t kMaxBodyBytes = std::uint64_t{1} << 30;

// The asynchronous steps of one GET, run on a private io_context so that run_for() bounds the
// whole exchange. `done` is set with the outcome by the last step (or the first failure).
class Exchange {
 public:
  Exchange(asio::io_context& io, const HttpEndpoint& endpoint, const std::string& target,
           http::response_parser<http::file_body>& parser)
      : resolver_(io), stream_(io), endpoint_(endpoint), parser_(parser) {
    request_.method(http::verb::get);
    request_.target(target);
    request_.version(11);
    request_.set(http::field::host, endpoint.host);
    request_.set(http::field::connection, "close");
  }

  void start() {
    resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                            [this](beast::error_code ec, tcp::resolver::results_type results) {
                              if (!finished(ec)) connect(results);
                            });
  }

  bool done() const { return done_; }
  const beast::error_code& error() const { return error_; }

 private:
  void connect(const tcp::resolver::results_type& results) {
    stream_.async_connect(results, [this](beast::error_code ec, const tcp::endpoint&) {
      if (!finished(ec)) send();
    });
  }
  void send() {
    http::async_write(stream_, request_, [this](beast::error_code ec, std::size_t) {
      if (!finished(ec)) receive();
    });
  }
  void receive() {
    http::async_read(stream_, buffer_, parser_, [this](beast::error_code ec, std::size_t) {
      finished(ec);
      done_ = true;
    });
  }
  // Records a failure; true if there was one (the exchange is over).
  bool finished(beast::error_code ec) {
    if (!ec) return false;
    error_ = ec;
    done_ = true;
    return true;
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  const HttpEndpoint& endpoint_;
  http::response_parser<http::file_body>& parser_;
  http::request<http::empty_body> request_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
  bool done_ = false;
};

}  // namespace

Status http_download(const HttpEndpoint& endpoint, const std::string& target,
                     const std::filesystem::path& destination, std::chrono::milliseconds timeout) {
  const std::string url = "http://" + endpoint.host + ":" + std::to_string(endpoint.port) + target;
  http::response_parser<http::file_body> parser;
  parser.body_limit(kMaxBodyBytes);
  beast::error_code ec;
  parser.get().body().open(destination.c_str(), beast::file_mode::write, ec);
  if (ec) {
    return make_error(SupervisorErrc::io_error,
                      "cannot write " + destination.string() + ": " + ec.message());
  }
  asio::io_context io;
  Exchange exchange(io, endpoint, target, parser);
  exchange.start();
  io.run_for(timeout);
  if (!exchange.done()) {
    return make_error(
        SupervisorErrc::download_failed,
        "GET " + url + ": no complete answer within " + std::to_string(timeout.count()) + " ms");
  }
  if (exchange.error()) {
    return make_error(SupervisorErrc::download_failed,
                      "GET " + url + ": " + exchange.error().message());
  }
  if (const auto status = parser.get().result_int(); status != 200) {
    return make_error(SupervisorErrc::download_failed,
                      "GET " + url + ": HTTP " + std::to_string(status));
  }
  return {};
}

}  // namespace gale::supervisor
