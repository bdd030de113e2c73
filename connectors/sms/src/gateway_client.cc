#include "gale/sms/gateway_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "url.h"

namespace gale::sms {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// What one attempt at a request came to: a response, or the error and whether any byte of a
// response had arrived before it.
struct Exchange {
  beast::error_code error;
  bool got_response_bytes = false;
  bool timed_out_connecting = false;
  http::response<http::string_body> response;
};

std::int64_t millis(std::chrono::milliseconds ms) {
  return ms.count();
}

}  // namespace

int http_status(const Error& error) {
  if (error.code != SmsErrc::server_error && error.code != SmsErrc::rejected) return 0;
  // Their message is "sms gateway <url>: HTTP <status> <reason>[: <body>]" (from_response).
  constexpr std::string_view kHttp = ": HTTP ";
  std::string_view message = error.message;
  std::size_t at = message.find(kHttp);
  if (at == std::string_view::npos) return 0;
  int status = 0;
  const char* digits = message.data() + at + kHttp.size();
  auto [end, ec] = std::from_chars(digits, message.data() + message.size(), status);
  return ec == std::errc() ? status : 0;
}

bool retryable(const Error& error) {
  if (error.code.category() != sms_category()) return false;
  switch (static_cast<SmsErrc>(error.code.value())) {
    case SmsErrc::connection_refused:
    case SmsErrc::connection_failed:
    case SmsErrc::timeout:
    case SmsErrc::server_error:
      return true;
    case SmsErrc::rejected:
      return http_status(error) == 429;
    default:
      return false;
  }
}

// The io_context, the keep-alive stream, and the async operations run to completion one at a
// time: the stream's expiry (beast::tcp_stream::expires_at) is what bounds each of them.
struct SmsGatewayClient::Connection {
  GatewayOptions options;
  Url url;
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool open = false;

  Connection(GatewayOptions o, Url u) : options(std::move(o)), url(std::move(u)) {}

  // Runs the io_context until the operation started by `start` calls back.
  template <typename Start>
  beast::error_code run(Start start) {
    beast::error_code result = net::error::would_block;
    start(result);
    io.restart();
    io.run();
    return result;
  }

  beast::error_code connect(Clock::time_point deadline, bool& timed_out_connecting) {
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return ec;
    Clock::time_point connect_deadline = std::min(deadline, Clock::now() + options.connect_timeout);
    stream.expires_at(connect_deadline);
    ec = run([&](beast::error_code& result) {
      stream.async_connect(endpoints,
                           [&](beast::error_code e, const tcp::endpoint&) { result = e; });
    });
    timed_out_connecting = ec == beast::error::timeout && connect_deadline < deadline;
    if (!ec) open = true;
    return ec;
  }

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    open = false;
  }

  Exchange exchange(http::request<http::string_body>& request, Clock::time_point deadline) {
    Exchange x;
    if (!open && (x.error = connect(deadline, x.timed_out_connecting))) return x;
    stream.expires_at(deadline);
    x.error = run([&](beast::error_code& result) {
      http::async_write(stream, request, [&](beast::error_code e, std::size_t) { result = e; });
    });
    if (x.error) {
      close();
      return x;
    }
    http::response_parser<http::string_body> parser;
    x.error = run([&](beast::error_code& result) {
      http::async_read(stream, buffer, parser,
                       [&](beast::error_code e, std::size_t) { result = e; });
    });
    x.got_response_bytes = parser.got_some();
    if (x.error) {
      close();
      return x;
    }
    x.response = parser.release();
    if (!x.response.keep_alive()) close();
    return x;
  }
};

SmsGatewayClient::SmsGatewayClient(GatewayOptions options) {
  Url url = parse_url(options.url);
  connection_ = std::make_unique<Connection>(std::move(options), std::move(url));
}

SmsGatewayClient::~SmsGatewayClient() = default;

namespace {

Error failure(SmsErrc code, const std::string& url, const std::string& cause) {
  return make_error(code, "sms gateway " + url + ": " + cause);
}

Result<SendReceipt> from_response(const http::response<http::string_body>& response,
                                  const std::string& url) {
  int code = static_cast<int>(response.result_int());
  if (code >= 200 && code < 300) {
    SendReceipt ok;
    ok.http_status = code;
    auto body = nlohmann::json::parse(response.body(), nullptr, false);
    if (body.is_object() && body.contains("id") && body["id"].is_string()) {
      ok.message_id = body["id"].get<std::string>();
    }
    return ok;
  }
  // http_status() reads the status back from this message: keep "HTTP <status>" after the URL.
  std::string cause = "HTTP " + std::to_string(code) + " " + std::string(response.reason());
  if (!response.body().empty()) cause += ": " + response.body().substr(0, 200);
  return failure(code >= 500 && code < 600 ? SmsErrc::server_error : SmsErrc::rejected, url, cause);
}

Error from_error(const Exchange& x, const GatewayOptions& options) {
  const beast::error_code& ec = x.error;
  if (ec == beast::error::timeout) {
    return failure(
        SmsErrc::timeout, options.url,
        x.timed_out_connecting
            ? "no connection within " + std::to_string(millis(options.connect_timeout)) + " ms"
            : "no response within " + std::to_string(millis(options.request_timeout)) + " ms");
  }
  if (ec == net::error::connection_refused) {
    return failure(SmsErrc::connection_refused, options.url, "connection refused");
  }
  if (ec == http::error::end_of_stream) {
    return failure(SmsErrc::connection_failed, options.url,
                   "the gateway closed the connection before answering");
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return failure(SmsErrc::bad_response, options.url, "not an HTTP response: " + ec.message());
  }
  return failure(SmsErrc::connection_failed, options.url, ec.message());
}

}  // namespace

Result<SendReceipt> SmsGatewayClient::send(const SmsMessage& message) {
  Connection& c = *connection_;
  if (message.to.empty() || message.reference.empty()) {
    return failure(SmsErrc::invalid_message, c.options.url,
                   message.to.empty() ? "the message has no recipient (to)"
                                      : "the message has no reference (its idempotency key)");
  }
  http::request<http::string_body> request{http::verb::post, c.url.target, 11};
  request.set(http::field::host, c.url.host_header);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "gale-sms");
  request.set("Idempotency-Key", message.reference);
  try {
    request.body() =
        nlohmann::json{{"to", message.to}, {"text", message.text}, {"reference", message.reference}}
            .dump();
  } catch (const nlohmann::json::type_error& e) {
    return failure(SmsErrc::invalid_message, c.options.url,
                   std::string("the message is not valid UTF-8: ") + e.what());
  }
  request.prepare_payload();

  Clock::time_point deadline = Clock::now() + c.options.request_timeout;
  bool reused = c.open;
  Exchange x = c.exchange(request, deadline);
  // A kept-alive connection the gateway had closed: the request did not get an answer, so it
  // goes once more on a fresh connection (see the header on why that is safe).
  if (x.error && reused && !x.got_response_bytes && x.error != beast::error::timeout) {
    x = c.exchange(request, deadline);
  }
  if (x.error) return from_error(x, c.options);
  return from_response(x.response, c.options.url);
}

}  // namespace gale::sms
