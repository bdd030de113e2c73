// gale-query: the data service for flexible queries (灵活查询) over result tables — named,
// parameterized query templates served as REST endpoints with JSON results and paging, behind
// the cluster's tokens (permission data.query). See query/README.md.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gale/common/command_line.h"
#include "gale/common/daemon_config.h"
#include "gale/common/logging.h"
#include "gale/common/version.h"
#include "gale/coordination/in_memory_store.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/nimbus/access.h"
#include "gale/nimbus/http_server.h"
#include "gale/query/service.h"

namespace {

using namespace gale;

nimbus::HttpResponse respond(int status, const std::string& body) {
  return {status, "application/json", body};
}

std::string error_json(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump();
}

int run(const Config& conf) {
  std::string templates_path = conf.get_string(conf::kQueryTemplates, "");
  if (templates_path.empty()) {
    std::cerr << "gale-query: query.templates is not set: name the YAML file of query "
                 "templates\n";
    return 2;
  }
  auto templates = query::Templates::load_file(templates_path);
  if (!templates) {
    std::cerr << "gale-query: " << templates.error().message << "\n";
    return 2;
  }
  query::ServiceOptions options;
  try {
    options.database = postgres::ConnectionOptions::from_config(conf);
  } catch (const std::invalid_argument& e) {
    std::cerr << "gale-query: " << e.what() << "\n";
    return 2;
  }
  options.page_max_rows = static_cast<int>(conf.get_int(conf::kQueryPageMaxRows));
  options.timeout = std::chrono::milliseconds(conf.get_int(conf::kQueryTimeoutMs));
  options.connections = nimbus::HttpServer::kHandlerThreads;

  // Who may call: the cluster's tokens, read from ZooKeeper, as Nimbus checks them.
  const bool secure = conf.get_bool(conf::kSecurityEnabled);
  std::unique_ptr<coordination::StateStore> store;
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (secure) {
    auto zk = coordination::ZooKeeperOptions::from(conf);
    if (zk.auth_payload.empty()) {
      std::cerr << "gale-query: security.enabled is true but storm.zookeeper.auth.payload is not "
                   "set (docs/SECURITY.md)\n";
      return 2;
    }
    auto context = nimbus::HttpServer::tls_context(conf.get_string(conf::kQueryTlsCertFile, ""),
                                                   conf.get_string(conf::kQueryTlsKeyFile, ""),
                                                   conf::kQueryTlsCertFile, conf::kQueryTlsKeyFile);
    if (!context) {
      std::cerr << "gale-query: TLS (query.tls.cert.file, query.tls.key.file; required while "
                   "security.enabled): "
                << context.error().message << "\n";
      return 2;
    }
    tls = *context;
    auto connected = coordination::ZooKeeperStore::connect(zk);
    if (!connected) {
      std::cerr << "gale-query: cannot connect to ZooKeeper at " << zk.connect_string << ": "
                << connected.error().message << "\n";
      return 1;
    }
    store = std::move(*connected);
  } else {
    spdlog::warn("gale-query: security.enabled is false: anyone who reaches {}:{} may query",
                 conf.get_string(conf::kQueryHost), conf.get_int(conf::kQueryPort));
    store = std::make_unique<coordination::InMemoryStore>();
  }
  coordination::ClusterState state(*store);
  nimbus::AccessControl access(state, secure);

  auto service = query::QueryService::start(std::move(*templates), options);
  if (!service) {
    std::cerr << "gale-query: " << service.error().message << "\n";
    return 1;
  }
  query::QueryService& queries = **service;

  boost::asio::io_context io;
  nimbus::HttpServer server(
      io,
      [&](const nimbus::HttpRequest& request) -> nimbus::HttpResponse {
        std::string path = request.target.substr(0, request.target.find('?'));
        if (path == "/api/v1/health") return respond(200, "{\"status\":\"ok\"}");
        auto principal = access.authenticate(request.authorization);
        if (!principal)
          return respond(nimbus::http_status(principal.error().code),
                         error_json(principal.error().message));
        if (auto allowed =
                nimbus::AccessControl::authorize(*principal, nimbus::Permission::data_query);
            !allowed)
          return respond(nimbus::http_status(allowed.error().code),
                         error_json(allowed.error().message));
        query::Response answer = queries.handle(request.method, request.target);
        // The path only: parameter values may be customers' data.
        spdlog::info("{} {} {} by {}", request.method, path, answer.status, principal->name);
        return respond(answer.status, answer.body);
      },
      64 * 1024, tls);
  const std::string host = conf.get_string(conf::kQueryHost);
  if (auto started = server.start(host, static_cast<int>(conf.get_int(conf::kQueryPort)));
      !started) {
    std::cerr << "gale-query: " << started.error().message << "\n";
    return 1;
  }
  std::cout << "gale-query listening on " << host << ":" << server.port() << " ("
            << queries.templates().all().size() << " templates, "
            << (secure ? "TLS and tokens" : "no security") << ")" << std::endl;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  auto work = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("gale-query stopping on signal {}", signal);
  io.stop();
  loop.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // SIGINT and SIGTERM are taken by sigwait: blocked before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  CLI::App app{"gale-query: named, parameterized queries over result tables, as REST endpoints"};
  app.set_version_flag("--version", gale::version_text("gale-query"));
  std::string config_path;
  std::vector<std::string> settings;
  std::string log_level = "info";
  app.add_option("--config", config_path,
                 "gale.yaml (default: ./gale.yaml, else /etc/gale/gale.yaml, if present)");
  app.add_option("-c", settings, "Config setting key=value on top of the file (repeatable)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error");
  if (auto exit = gale::parse_command_line(app, argc, argv)) return *exit;
  gale::init_logging(log_level);
  if (config_path.empty()) config_path = gale::default_config_path();
  auto conf = gale::load_daemon_config(config_path, settings);
  if (!conf) {
    std::cerr << "gale-query: " << conf.error().message << "\n";
    return 2;
  }
  return run(*conf);
}
