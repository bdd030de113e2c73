#include "log_server.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "gale/common/secret.h"
#include "gale/config.h"
#include "gale/coordination/records.h"
#include "log_files.h"

namespace gale::supervisor {

using nlohmann::json;

namespace {

constexpr std::size_t kDefaultPageBytes = 64 * 1024;
constexpr std::size_t kDefaultMatches = 100;
constexpr std::size_t kMaxRequestBytes = 4096;  // requests carry no body

nimbus::HttpResponse answer(int status, const json& body) {
  // Log bytes may be anything: what is not UTF-8 becomes U+FFFD rather than failing the dump.
  return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

nimbus::HttpResponse refuse(int status, const std::string& message) {
  return answer(status, json{{"error", message}});
}

bool holds_secret(const std::string& authorization, const std::string& secret) {
  constexpr std::string_view kScheme = "Bearer ";
  if (!authorization.starts_with(kScheme)) return false;
  std::string_view presented = std::string_view(authorization).substr(kScheme.size());
  return presented.size() == secret.size() &&
         CRYPTO_memcmp(presented.data(), secret.data(), secret.size()) == 0;
}

int status_of(const Error& error) {
  return error.code == SupervisorErrc::no_such_log ? 404 : 500;
}

}  // namespace

nimbus::HttpResponse LogServer::handle(const Options& options, const nimbus::HttpRequest& request) {
  if (!options.secret.empty() && !holds_secret(request.authorization, options.secret))
    return refuse(401, "this log server answers Nimbus only");
  if (request.method != "GET") return refuse(405, "only GET is served");
  // /logs/<topology-id>/<port>
  std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  constexpr std::string_view kPrefix = "/logs/";
  if (!path.starts_with(kPrefix)) return refuse(404, "no such route");
  path.remove_prefix(kPrefix.size());
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return refuse(404, "no such route");
  const std::string topology(path.substr(0, slash));
  const std::string_view port_text = path.substr(slash + 1);
  if (auto valid = coordination::validate_name("topology id", topology); !valid)
    return refuse(400, valid.error().message);
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() ||
      std::find(options.slot_ports.begin(), options.slot_ports.end(), port) ==
          options.slot_ports.end())
    return refuse(404, "port '" + std::string(port_text) + "' is not a slot of this supervisor");
  const auto file = options.logs_dir / (topology + "-" + std::to_string(port) + ".log");

  if (auto needle = nimbus::query_value(request.target, "search")) {
    if (needle->empty() || needle->size() > kMaxLogNeedleBytes)
      return refuse(400,
                    "'search' must hold 1 to " + std::to_string(kMaxLogNeedleBytes) + " bytes");
    auto limit = nimbus::query_int(request.target, "limit", kDefaultMatches, 1, kMaxLogMatches);
    if (!limit) return refuse(400, limit.error().message);
    auto found = search_log(file, *needle, static_cast<std::size_t>(*limit));
    if (!found) return refuse(status_of(found.error()), found.error().message);
    json matches = json::array();
    for (const auto& m : found->matches)
      matches.push_back(json{{"offset", m.offset}, {"line", m.line}});
    return answer(200, json{{"size", found->size},
                            {"scanned_from", found->scanned_from},
                            {"matches", std::move(matches)},
                            {"more", found->more}});
  }
  auto length = nimbus::query_int(request.target, "length", kDefaultPageBytes, 1, kMaxLogPageBytes);
  if (!length) return refuse(400, length.error().message);
  std::optional<std::uint64_t> start;
  if (nimbus::query_value(request.target, "start")) {
    auto at = nimbus::query_int(request.target, "start", 0, 0, std::int64_t{1} << 62);
    if (!at) return refuse(400, at.error().message);
    start = static_cast<std::uint64_t>(*at);
  }
  auto page = read_log(file, start, static_cast<std::size_t>(*length));
  if (!page) return refuse(status_of(page.error()), page.error().message);
  return answer(200, json{{"size", page->size},
                          {"start", page->start},
                          {"end", page->start + page->text.size()},
                          {"text", page->text}});
}

LogServer::LogServer(Options options) : options_(std::move(options)) {}

Result<std::unique_ptr<LogServer>> LogServer::start(Options options) {
  std::unique_ptr<LogServer> server(new LogServer(std::move(options)));
  server->server_ = std::make_unique<nimbus::HttpServer>(
      server->io_,
      [opts = &server->options_](const nimbus::HttpRequest& request) {
        return handle(*opts, request);
      },
      kMaxRequestBytes, server->options_.tls, nimbus::HeaderCheck{}, 64);
  if (auto started = server->server_->start(server->options_.host, server->options_.port); !started)
    return make_error(SupervisorErrc::bad_setting,
                      std::string(conf::kSupervisorLogviewerPort) + ": " + started.error().message);
  server->thread_ = std::thread([io = &server->io_] {
    auto work = boost::asio::make_work_guard(*io);
    io->run();
  });
  spdlog::info("log server on {}:{} ({})", server->options_.host, server->port(),
               server->options_.tls ? "TLS, Nimbus's secret" : "plain HTTP, open");
  return server;
}

LogServer::~LogServer() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();  // waits for the handlers still running
}

Result<std::string> make_log_secret() {
  auto secret = random_secret_hex();
  if (!secret) return make_error(SupervisorErrc::io_error, secret.error().message);
  return secret;
}

}  // namespace gale::supervisor
