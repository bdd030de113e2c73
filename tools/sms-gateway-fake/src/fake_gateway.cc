#include "fake_gateway.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace gale::tools {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool is_phone_number(const std::string& s) {
  if (s.size() < 7 || s.size() > 16 || s[0] != '+') return false;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// What is wrong with a POST /sms body, or "" when it is a message the gateway can send.
std::string problem_with(const nlohmann::json& body) {
  if (!body.is_object()) return "the body is not a JSON object";
  for (const char* field : {"to", "text", "reference"}) {
    if (!body.contains(field) || !body[field].is_string() || body[field].get<std::string>().empty())
      return std::string("\"") + field + "\" must be a non-empty string";
  }
  if (!is_phone_number(body["to"].get<std::string>()))
    return "\"to\" is not a phone number in E.164 form (+ and 6 to 15 digits)";
  return {};
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One client connection: reads requests one after another (keep-alive) and answers each.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, FakeGateway& gateway)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), gateway_(gateway) {}

  void read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->answer();
                     });
  }

 private:
  void answer() {
    std::string target(request_.target());
    std::string path = target.substr(0, target.find('?'));
    bool get = request_.method() == http::verb::get;
    if (path == "/sms") {
      if (request_.method() != http::verb::post) return write(405, {{"error", "use POST"}});
      std::string key(request_["Idempotency-Key"]);
      SmsAnswer a = gateway_.accept_sms(request_.body(), key);
      if (gateway_.delay_ms() <= 0) return write(a.status, a.body);
      timer_.expires_after(std::chrono::milliseconds(gateway_.delay_ms()));
      timer_.async_wait(
          [self = shared_from_this(), a](beast::error_code) { self->write(a.status, a.body); });
    } else if (path == "/messages" || path == "/stats" || path == "/health") {
      if (!get) return write(405, {{"error", "use GET"}});
      if (path == "/messages") return write(200, gateway_.messages());
      if (path == "/stats") return write(200, gateway_.stats());
      write(200, {{"status", "ok"}});
    } else {
      write(404, {{"error", "no such resource: " + path}});
    }
  }

  void write(int status, const nlohmann::json& body) {
    response_ = {static_cast<http::status>(status), request_.version()};
    response_.set(http::field::content_type, "application/json");
    response_.keep_alive(request_.keep_alive());
    response_.body() = body.dump();
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
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  FakeGateway& gateway_;
};

}  // namespace

FakeGateway::FakeGateway(FakeGatewayOptions options)
    : options_(std::move(options)),
      acceptor_(io_),
      signals_(io_, SIGTERM, SIGINT),
      random_(options_.seed) {
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(options_.port));
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(options_.port) + ": " +
                             ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  if (!options_.record_path.empty()) {
    record_.open(options_.record_path, std::ios::app);
    if (!record_) {
      throw std::runtime_error("cannot open record file " + options_.record_path + ": " +
                               std::strerror(errno));
    }
  }
}

void FakeGateway::run() {
  signals_.async_wait([this](beast::error_code, int) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    io_.stop();
  });
  accept();
  io_.run();
}

void FakeGateway::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // the acceptor was closed: shutting down
    ++connections_;
    std::make_shared<Session>(std::move(socket), *this)->read();
    accept();
  });
}

bool FakeGateway::inject_failure() {
  if (sms_requests_ <= options_.fail_first) return true;
  return options_.fail_rate > 0 && std::bernoulli_distribution(options_.fail_rate)(random_);
}

SmsAnswer FakeGateway::accept_sms(const std::string& body, const std::string& idempotency_key) {
  ++sms_requests_;
  if (inject_failure()) {
    ++failed_;
    return {503, {{"error", "injected failure"}}};
  }
  nlohmann::json sms = nlohmann::json::parse(body, nullptr, false);
  if (std::string problem = problem_with(sms); !problem.empty()) {
    ++rejected_;
    return {400, {{"error", problem}}};
  }
  std::string id = "msg-" + std::to_string(messages_.size() + 1);
  nlohmann::json record = {
      {"id", id},
      {"to", sms["to"]},
      {"text", sms["text"]},
      {"reference", sms["reference"]},
      {"idempotency_key",
       idempotency_key.empty() ? nlohmann::json() : nlohmann::json(idempotency_key)},
      {"received_ms", now_ms()}};
  references_.insert(sms["reference"].get<std::string>());
  if (record_.is_open()) record_ << record.dump() << '\n' << std::flush;
  messages_.push_back(std::move(record));
  return {200, {{"id", id}}};
}

nlohmann::json FakeGateway::stats() const {
  return {{"received", messages_.size()},
          {"distinct_references", references_.size()},
          {"failed", failed_},
          {"rejected", rejected_},
          {"connections", connections_}};
}

}  // namespace gale::tools
