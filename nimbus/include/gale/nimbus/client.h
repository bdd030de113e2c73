#pragma once
// NimbusClient: the HTTP client of Nimbus's API (docs/CLUSTER.md), for the `gale` CLI and
// tests. Each call is one request on a fresh connection, bounded by the timeout.
// An answer other than 2xx becomes an Error with the server's {"error"} message and the
// NimbusErrc of its status (400 bad_request, 404 not_found, 409 conflict, 503 not_leader,
// else internal); no answer at all is `unreachable`, naming host:port and the reason.
// Thread-safe: calls share nothing.
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gale/nimbus/errors.h"

namespace gale::nimbus {

struct HttpReply {
  int status = 0;
  std::string body;
};

class NimbusClient {
 public:
  NimbusClient(std::string host, int port,
               std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : host_(std::move(host)), port_(port), timeout_(timeout) {}

  // The raw exchange: `target` is the path (e.g. "/api/v1/topologies"). Only `unreachable`.
  Result<HttpReply> request(const std::string& method, const std::string& target,
                            const std::string& body = {}) const;

  // `so_bytes`: the topology's shared library; `blobs`: key -> bytes, stored with it.
  Result<nlohmann::json> submit(const std::string& name,
                                const std::map<std::string, std::string>& config,
                                const std::string& so_bytes,
                                const std::map<std::string, std::string>& blobs = {}) const;
  Result<nlohmann::json> list() const;
  Result<nlohmann::json> status(const std::string& name) const;
  Result<nlohmann::json> activate(const std::string& name) const;
  Result<nlohmann::json> deactivate(const std::string& name) const;
  Result<nlohmann::json> kill(const std::string& name, std::optional<std::int64_t> wait_secs) const;
  Result<nlohmann::json> rebalance(const std::string& name, std::optional<std::int64_t> wait_secs,
                                   std::optional<int> workers,
                                   const std::map<std::string, int>& executors) const;
  Result<nlohmann::json> cluster() const;
  // Replaces one blob of a running topology (its workers pick it up), or lists them.
  Result<nlohmann::json> put_blob(const std::string& name, const std::string& key,
                                  const std::string& bytes) const;
  Result<nlohmann::json> blobs(const std::string& name) const;

  std::string address() const { return host_ + ":" + std::to_string(port_); }

 private:
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const nlohmann::json& body = nullptr) const;
  Result<nlohmann::json> call_with_text(const std::string& method, const std::string& path,
                                        const std::string& body) const;

  std::string host_;
  int port_;
  std::chrono::milliseconds timeout_;
};

}  // namespace gale::nimbus
