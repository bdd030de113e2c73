#include "gale/nimbus/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>

#include "gale/common/base64.h"

namespace gale::nimbus {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

namespace {

// One request/response over a tcp_stream whose every step is bounded by the same deadline.
// Runs on its own io_context on the calling thread.
class Exchange {
 public:
  Exchange(http::request<http::string_body> request, std::chrono::milliseconds timeout)
      : stream_(io_), request_(std::move(request)), timeout_(timeout) {}

  beast::error_code run(const std::string& host, const std::string& port) {
    tcp::resolver resolver(io_);
    beast::error_code ec;
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return ec;
    stream_.expires_after(timeout_);
    stream_.async_connect(endpoints, [this](beast::error_code e, const tcp::endpoint&) {
      if (e) return finish(e);
      if (request_.body().size() < kExpectContinueFrom) return send_whole();
      // A large body (a submit) waits for Nimbus's word: a body over its limit is then refused
      // from the header (413) without being sent.
      request_.set(http::field::expect, "100-continue");
      serializer_.emplace(request_);
      http::async_write_header(stream_, *serializer_, [this](beast::error_code e2, std::size_t) {
        if (e2) return finish(e2);
        parser_.emplace();
        parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        http::async_read_header(
            stream_, buffer_, *parser_, [this](beast::error_code e3, std::size_t) {
              if (e3) return finish(e3);
              if (parser_->get().result() != http::status::continue_)
                return read_response();  // the final answer
              parser_.emplace();
              http::async_write(stream_, *serializer_, [this](beast::error_code e4, std::size_t) {
                if (e4) return finish(e4);
                read_response();
              });
            });
      });
    });
    io_.run();
    return result_;
  }

  http::response<http::string_body> response() { return parser_->release(); }

 private:
  // Bodies from this size are sent after Nimbus answers "100 Continue".
  static constexpr std::size_t kExpectContinueFrom = 1 << 20;

  void send_whole() {
    http::async_write(stream_, request_, [this](beast::error_code e, std::size_t) {
      if (e) return finish(e);
      parser_.emplace();
      read_response();
    });
  }

  void read_response() {
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    http::async_read(stream_, buffer_, *parser_,
                     [this](beast::error_code e, std::size_t) { finish(e); });
  }

  void finish(beast::error_code ec) {
    result_ = ec;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  boost::asio::io_context io_;
  beast::tcp_stream stream_;
  http::request<http::string_body> request_;
  std::optional<http::request_serializer<http::string_body>> serializer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
  beast::error_code result_;
};

NimbusErrc errc_of(int status) {
  switch (status) {
    case 400:
    case 413:
      return NimbusErrc::bad_request;
    case 404:
      return NimbusErrc::not_found;
    case 409:
      return NimbusErrc::conflict;
    case 503:
      return NimbusErrc::not_leader;
    default:
      return NimbusErrc::internal;
  }
}

std::string topology_path(const std::string& name, const std::string& action = {}) {
  return "/api/v1/topologies/" + name + (action.empty() ? "" : "/" + action);
}

}  // namespace

Result<HttpReply> NimbusClient::request(const std::string& method, const std::string& target,
                                        const std::string& body) const {
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, address());
  request.set(http::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  Exchange exchange(std::move(request), timeout_);
  if (auto ec = exchange.run(host_, std::to_string(port_)))
    return make_error(NimbusErrc::unreachable,
                      "cannot reach Nimbus at " + address() + ": " + ec.message());
  auto response = exchange.response();
  return HttpReply{static_cast<int>(response.result_int()), std::move(response.body())};
}

Result<json> NimbusClient::call(const std::string& method, const std::string& path,
                                const json& body) const {
  return call_with_text(method, path, body.is_null() ? std::string() : body.dump());
}

Result<json> NimbusClient::call_with_text(const std::string& method, const std::string& path,
                                          const std::string& body) const {
  auto reply = request(method, path, body);
  if (!reply) return reply.error();
  auto parsed = json::parse(reply->body, nullptr, false);
  if (reply->status / 100 != 2) {
    std::string message =
        parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()
            ? parsed["error"].get<std::string>()
            : "Nimbus answered HTTP " + std::to_string(reply->status);
    return make_error(errc_of(reply->status), message);
  }
  if (parsed.is_discarded())
    return make_error(NimbusErrc::internal, "Nimbus answered malformed JSON");
  return parsed;
}

Result<json> NimbusClient::submit(const std::string& name,
                                  const std::map<std::string, std::string>& config,
                                  const std::string& so_bytes,
                                  const std::map<std::string, std::string>& blobs) const {
  json encoded = json::object();
  for (const auto& [key, bytes] : blobs) encoded[key] = gale::base64_encode(bytes);
  return call("POST", "/api/v1/topologies",
              json{{"name", name},
                   {"config", config},
                   {"artifact", gale::base64_encode(so_bytes)},
                   {"blobs", encoded}});
}

Result<json> NimbusClient::put_blob(const std::string& name, const std::string& key,
                                    const std::string& bytes) const {
  return call_with_text("PUT", topology_path(name, "blobs/" + key), bytes);
}

Result<json> NimbusClient::blobs(const std::string& name) const {
  return call("GET", topology_path(name, "blobs"));
}

Result<json> NimbusClient::list() const {
  return call("GET", "/api/v1/topologies");
}

Result<json> NimbusClient::status(const std::string& name) const {
  return call("GET", topology_path(name));
}

Result<json> NimbusClient::activate(const std::string& name) const {
  return call("POST", topology_path(name, "activate"));
}

Result<json> NimbusClient::deactivate(const std::string& name) const {
  return call("POST", topology_path(name, "deactivate"));
}

Result<json> NimbusClient::kill(const std::string& name,
                                std::optional<std::int64_t> wait_secs) const {
  json body = json::object();
  if (wait_secs) body["wait_secs"] = *wait_secs;
  return call("POST", topology_path(name, "kill"), body);
}

Result<json> NimbusClient::rebalance(const std::string& name, std::optional<std::int64_t> wait_secs,
                                     std::optional<int> workers,
                                     const std::map<std::string, int>& executors) const {
  json body{{"executors", executors}};
  if (wait_secs) body["wait_secs"] = *wait_secs;
  if (workers) body["workers"] = *workers;
  return call("POST", topology_path(name, "rebalance"), body);
}

Result<json> NimbusClient::cluster() const {
  return call("GET", "/api/v1/cluster");
}

}  // namespace gale::nimbus
