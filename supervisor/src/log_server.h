#pragma once
// LogServer: a supervisor's log server (Storm's logviewer), on supervisor.logviewer.port. It
// serves the logs of the workers on its slots, for Nimbus to show (docs/CONSOLE.md):
//
//   GET /logs/<topology-id>/<port>?length=L[&start=S]   a page; without start, the tail:
//       {"size", "start", "end", "text"} (end: the offset after the page's last byte)
//   GET /logs/<topology-id>/<port>?search=TEXT[&limit=N]   the last N lines holding TEXT:
//       {"size", "scanned_from", "matches": [{"offset", "line"}], "more"}
//
// Who may call: a caller presenting "Authorization: Bearer <secret>", the secret the server
// was made with, which the supervisor registers in ZooKeeper (readable by the cluster's daemons
// alone); people come through Nimbus, which checks their token and role. With no secret
// (security off) anyone who reaches the port may read. With TLS (security on) nothing is
// answered in plain HTTP.
//
// Paths: the file read is <logs_dir>/<topology-id>-<port>.log for a topology id that is a valid
// name and a port that is one of the supervisor's slots; nothing else of the request reaches
// a path, and the file is opened without following a symlink (log_files.h bounds every read).
//
// Threads: start() runs the server on a thread of its own; requests are handled on the HTTP
// server's pool; handle() is pure and thread-safe.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gale/nimbus/http_server.h"
#include "gale/supervisor/errc.h"

namespace gale::supervisor {

class LogServer {
 public:
  struct Options {
    std::filesystem::path logs_dir;  // <storm.local.dir>/logs
    std::vector<int> slot_ports;     // supervisor.slots.ports
    std::string secret;              // "": none asked (security off)
    std::string host;                // supervisor.host
    int port = 0;                    // supervisor.logviewer.port (0 in tests: any free port)
    std::shared_ptr<boost::asio::ssl::context> tls = {};  // none: plain HTTP
  };

  // Binds host:port and serves. bad_setting naming supervisor.logviewer.port if it cannot bind.
  static Result<std::unique_ptr<LogServer>> start(Options options);
  // Stops serving; waits for the requests being answered.
  ~LogServer();
  LogServer(const LogServer&) = delete;
  LogServer& operator=(const LogServer&) = delete;

  int port() const { return server_->port(); }
  const std::string& secret() const { return options_.secret; }

  // The answer to one request: 401 without the secret, 400 for a bad id or parameter, 404 for
  // a port that is not a slot or a log that does not exist, 405 for anything but GET. The body
  // is JSON; log bytes that are not UTF-8 are replaced with U+FFFD.
  static nimbus::HttpResponse handle(const Options& options, const nimbus::HttpRequest& request);

 private:
  explicit LogServer(Options options);

  const Options options_;
  boost::asio::io_context io_;
  std::unique_ptr<nimbus::HttpServer> server_;
  std::thread thread_;
};

// A fresh secret for the log server: 32 random bytes (OpenSSL) as 64 hex digits; io_error if
// the system's random source fails.
Result<std::string> make_log_secret();

}  // namespace gale::supervisor
