#include "gale/nimbus/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <type_traits>

#include "gale/common/base64.h"
#include "gale/common/errc.h"

namespace gale::nimbus {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One request/response over `Stream` (a tcp_stream, or a TLS stream over one) whose every step
// is bounded by the same deadline; the answer's body goes to a `Body` (a string, or a file).
// Runs on the caller's io_context; run() returns when the exchange is over.
template <class Stream, class Body>
class Exchange {
 public:
  Exchange(Stream& stream, http::request<http::string_body> request, std::uint64_t body_limit)
      : stream_(stream), request_(std::move(request)), body_limit_(body_limit) {}

  // Called with the fresh parser before the answer's body is read (a file body opens its file).
  std::function<beast::error_code(http::response_parser<Body>&)> prepare = [](auto&) {
    return beast::error_code{};
  };

  beast::error_code run(boost::asio::io_context& io, const tcp::resolver::results_type& endpoints,
                        std::chrono::milliseconds timeout) {
    lowest().expires_after(timeout);
    lowest().async_connect(endpoints, [this](beast::error_code e, const tcp::endpoint&) {
      if (e) return finish(e);
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        stream_.async_handshake(ssl::stream_base::client,
                                [this](beast::error_code e2) { e2 ? finish(e2) : send(); });
      } else {
        send();
      }
    });
    io.run();
    return result_;
  }

  http::response_parser<Body>& parser() { return *parser_; }

 private:
  // Bodies from this size are sent after Nimbus answers "100 Continue".
  static constexpr std::size_t kExpectContinueFrom = 1 << 20;

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void send() {
    if (request_.body().size() < kExpectContinueFrom) {
      return http::async_write(stream_, request_, [this](beast::error_code e, std::size_t) {
        if (e) return finish(e);
        read_response();
      });
    }
    // A large body (a submit) waits for Nimbus's word: a body over its limit, or a caller
    // without a valid token, is then refused from the header without the body being sent.
    request_.set(http::field::expect, "100-continue");
    serializer_.emplace(request_);
    http::async_write_header(stream_, *serializer_, [this](beast::error_code e, std::size_t) {
      if (e) return finish(e);
      head_.emplace();
      http::async_read_header(stream_, buffer_, *head_, [this](beast::error_code e2, std::size_t) {
        if (e2) return finish(e2);
        if (head_->get().result() != http::status::continue_)
          return read_body(std::move(*head_));  // the final answer
        http::async_write(stream_, *serializer_, [this](beast::error_code e3, std::size_t) {
          if (e3) return finish(e3);
          read_response();
        });
      });
    });
  }

  void read_response() {
    parser_.emplace();
    start_body();
  }

  // The final answer, whose header `head` has been read already.
  void read_body(http::response_parser<http::empty_body>&& head) {
    parser_.emplace(std::move(head));
    start_body();
  }

  void start_body() {
    parser_->body_limit(body_limit_);
    if (auto e = prepare(*parser_)) return finish(e);
    http::async_read(stream_, buffer_, *parser_,
                     [this](beast::error_code e, std::size_t) { finish(e); });
  }

  void finish(beast::error_code ec) {
    result_ = ec;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  Stream& stream_;
  http::request<http::string_body> request_;
  std::uint64_t body_limit_;
  std::optional<http::request_serializer<http::string_body>> serializer_;
  std::optional<http::response_parser<http::empty_body>> head_;
  std::optional<http::response_parser<Body>> parser_;
  beast::flat_buffer buffer_;
  beast::error_code result_;
};

// Why a call failed, in words an operator can act on.
std::string explain(const beast::error_code& ec, bool tls, const NimbusEndpoint& endpoint) {
  if (tls && ec.category() == boost::asio::error::get_ssl_category()) {
    std::string reason = ec.message();
    if (reason.find("certificate verify failed") != std::string::npos)
      return "TLS: " + endpoint.peer + "'s certificate is not trusted (it does not chain to " +
             endpoint.ca_file.string() + " (security.tls.ca.file) or does not name this host)";
    return "TLS: " + reason;
  }
  if (!tls && (ec == http::error::end_of_stream || ec == boost::asio::error::connection_reset ||
               ec == boost::asio::error::eof))
    return ec.message() + " (if " + endpoint.peer + " speaks TLS, set security.tls.ca.file)";
  return ec.message();
}

// Runs one exchange with `endpoint`, over TLS when it names a CA file. `prepare` as Exchange's.
template <class Body>
Result<http::response<Body>> exchange(
    const NimbusEndpoint& endpoint, http::request<http::string_body> request,
    std::uint64_t body_limit,
    std::function<beast::error_code(http::response_parser<Body>&)> prepare = nullptr) {
  const std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  // A token is a password: it never travels in clear text.
  if (!endpoint.token.empty() && endpoint.ca_file.empty())
    return make_error(CommonErrc::bad_setting,
                      "a token is sent to Nimbus only over TLS: set security.tls.ca.file to the "
                      "CA that signed Nimbus's certificate");
  auto unreachable = [&](const std::string& why) -> Error {
    return make_error(NimbusErrc::unreachable,
                      "cannot reach " + endpoint.peer + " at " + where + ": " + why);
  };
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
  if (ec) return unreachable(ec.message());
  request.set(http::field::host, endpoint.host);
  if (!endpoint.token.empty()) request.set(http::field::authorization, "Bearer " + endpoint.token);
  const bool tls = !endpoint.ca_file.empty();
  auto run = [&](auto& stream) -> Result<http::response<Body>> {
    Exchange<std::decay_t<decltype(stream)>, Body> call(stream, std::move(request), body_limit);
    if (prepare) call.prepare = prepare;
    if (auto failed = call.run(io, endpoints, endpoint.timeout))
      return unreachable(explain(failed, tls, endpoint));
    return call.parser().release();
  };
  if (!tls) {
    beast::tcp_stream stream(io);
    return run(stream);
  }
  ssl::context context(ssl::context::tls_client);
  context.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                      ssl::context::no_tlsv1_1);
  context.load_verify_file(endpoint.ca_file.string(), ec);
  if (ec)
    return unreachable("cannot read the CA file " + endpoint.ca_file.string() +
                       " (security.tls.ca.file): " + ec.message());
  context.set_verify_mode(ssl::verify_peer);
  TlsStream stream(io, context);
  stream.set_verify_callback(ssl::host_name_verification(endpoint.host));
  // SNI, for a Nimbus behind a name-routing proxy.
  SSL_set_tlsext_host_name(stream.native_handle(), endpoint.host.c_str());
  return run(stream);
}

NimbusErrc errc_of(int status) {
  switch (status) {
    case 400:
    case 413:
      return NimbusErrc::bad_request;
    case 401:
      return NimbusErrc::unauthenticated;
    case 403:
      return NimbusErrc::forbidden;
    case 429:
      return NimbusErrc::too_many_requests;
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
  request.set(http::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  auto response =
      exchange<http::string_body>(endpoint_, std::move(request), endpoint_.max_reply_bytes);
  if (!response) return response.error();
  return HttpReply{static_cast<int>(response->result_int()), std::move(response->body())};
}

Status NimbusClient::download(const std::string& target, const std::filesystem::path& destination,
                              std::uint64_t max_bytes) const {
  http::request<http::string_body> request{http::verb::get, target, 11};
  request.set(http::field::connection, "close");
  std::string open_error;
  auto response = exchange<http::file_body>(
      endpoint_, std::move(request), max_bytes,
      [&](http::response_parser<http::file_body>& parser) {
        beast::error_code ec;  // (an error's small JSON lands in the file too; status tells)
        parser.get().body().open(destination.c_str(), beast::file_mode::write, ec);
        if (ec) open_error = ec.message();
        return ec;
      });
  if (!open_error.empty())
    return make_error(NimbusErrc::internal,
                      "cannot write " + destination.string() + ": " + open_error);
  if (!response) return response.error();
  if (response->result() != http::status::ok)
    return make_error(errc_of(response->result_int()), "GET " + target + " from Nimbus at " +
                                                           address() + ": HTTP " +
                                                           std::to_string(response->result_int()));
  return {};
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
                                  const std::map<std::string, std::string>& blobs,
                                  const std::string& start_at) const {
  json encoded = json::object();
  for (const auto& [key, bytes] : blobs) encoded[key] = gale::base64_encode(bytes);
  json body{{"name", name},
            {"config", config},
            {"artifact", gale::base64_encode(so_bytes)},
            {"blobs", encoded}};
  if (!start_at.empty()) body["start_at"] = start_at;
  return call("POST", "/api/v1/topologies", body);
}

Result<json> NimbusClient::schedule(const std::string& name, const std::string& start_at) const {
  return call("POST", topology_path(name, "schedule"),
              json{{"start_at", start_at.empty() ? json() : json(start_at)}});
}

std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<json> NimbusClient::worker_log(const std::string& name, const std::string& supervisor,
                                      int port, std::optional<std::uint64_t> start,
                                      std::uint64_t length, const std::string& search,
                                      std::uint64_t limit) const {
  std::string path = topology_path(
      name, "workers/" + percent_encoded(supervisor) + "/" + std::to_string(port) + "/log?");
  if (!search.empty()) {
    path += "search=" + percent_encoded(search) + "&limit=" + std::to_string(limit);
  } else {
    path += "length=" + std::to_string(length);
    if (start) path += "&start=" + std::to_string(*start);
  }
  return call("GET", path);
}

Result<json> NimbusClient::settings(const std::string& name) const {
  return call("GET", topology_path(name, "settings"));
}

Result<json> NimbusClient::change_settings(const std::string& name,
                                           const std::map<std::string, std::string>& set,
                                           const std::vector<std::string>& reset) const {
  return call("POST", topology_path(name, "settings"), json{{"set", set}, {"reset", reset}});
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

Result<json> NimbusClient::savepoint(const std::string& name, const std::string& savepoint) const {
  return call("POST", topology_path(name, "savepoint"), json{{"name", savepoint}});
}

Result<json> NimbusClient::checkpoints(const std::string& name, std::size_t limit) const {
  return call("GET", topology_path(name, "checkpoints") + "?limit=" + std::to_string(limit));
}

Result<json> NimbusClient::cluster() const {
  return call("GET", "/api/v1/cluster");
}

Result<json> NimbusClient::create_token(const std::string& principal,
                                        const std::string& role) const {
  return call("POST", "/api/v1/tokens", json{{"principal", principal}, {"role", role}});
}

Result<json> NimbusClient::tokens() const {
  return call("GET", "/api/v1/tokens");
}

Result<json> NimbusClient::revoke_token(const std::string& principal) const {
  return call("DELETE", "/api/v1/tokens/" + principal);
}

Result<json> NimbusClient::audit(int limit) const {
  return call("GET", "/api/v1/audit?limit=" + std::to_string(limit));
}

Result<json> NimbusClient::whoami() const {
  return call("GET", "/api/v1/whoami");
}

Result<NimbusEndpoint> endpoint_from_config(const Config& conf) {
  NimbusEndpoint endpoint;
  endpoint.host = conf.get_string(conf::kNimbusHost);
  endpoint.port = static_cast<int>(conf.get_int(conf::kNimbusPort));
  endpoint.timeout = std::chrono::seconds(conf.get_int(conf::kNimbusClientTimeoutSecs));
  if (conf.contains(conf::kSecurityTlsCaFile))
    endpoint.ca_file = conf.get_string(conf::kSecurityTlsCaFile);
  if (const char* env = std::getenv("GALE_TOKEN"); env != nullptr && *env != '\0') {
    endpoint.token = env;
  } else if (conf.contains(conf::kSecurityToken)) {
    endpoint.token = conf.get_string(conf::kSecurityToken);
  } else if (conf.contains(conf::kSecurityTokenFile)) {
    const std::string path = conf.get_string(conf::kSecurityTokenFile);
    std::ifstream in(path);
    if (!in || !std::getline(in, endpoint.token) || endpoint.token.empty())
      return make_error(CommonErrc::bad_setting,
                        "security.token.file: cannot read a token from '" + path + "'");
  }
  return endpoint;
}

}  // namespace gale::nimbus
