#pragma once
// NimbusClient: the HTTP(S) client of Nimbus's API (docs/CLUSTER.md), for the `gale` CLI, the
// supervisors' artifact downloads and tests. Each call is one request on a fresh connection,
// bounded by the timeout, carrying the endpoint's token ("Authorization: Bearer") if it has one,
// over TLS if the endpoint names a CA file: Nimbus's certificate must chain to it and name the
// host called, or the call fails (there is no way to skip the check). An endpoint with a token
// and no CA file is refused before anything is sent (bad_setting): a token never travels in
// clear text.
// An answer other than 2xx becomes an Error with the server's {"error"} message and the
// NimbusErrc of its status (400 bad_request, 401 unauthenticated, 403 forbidden, 404 not_found,
// 409 conflict, 429 too_many_requests, 503 not_leader, else internal); no answer at all is
// `unreachable`, naming host:port and the reason.
// Thread-safe: calls share nothing.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "gale/config.h"
#include "gale/nimbus/errors.h"

namespace gale::nimbus {

// Where and how to call Nimbus.
struct NimbusEndpoint {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string token;              // "" : none sent
  std::filesystem::path ca_file;  // "" : plain HTTP; else HTTPS verified against it
  std::chrono::milliseconds timeout{60000};
  std::string peer = "Nimbus";  // how errors name the server (a supervisor's log server, ...)
  std::uint64_t max_reply_bytes = std::numeric_limits<std::uint64_t>::max();  // request()'s
};

// The endpoint a daemon or the CLI configures: nimbus.host, nimbus.port, security.tls.ca.file,
// nimbus.client.timeout.secs, and the token from GALE_TOKEN, else security.token, else the
// first line of security.token.file. bad_setting (common's) naming the token file if it cannot be
// read.
Result<NimbusEndpoint> endpoint_from_config(const Config& conf);

// `text` for a URL's query: every byte but the unreserved ones (RFC 3986) as %XX.
std::string percent_encoded(std::string_view text);

struct HttpReply {
  int status = 0;
  std::string body;
};

class NimbusClient {
 public:
  explicit NimbusClient(NimbusEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

  // The raw exchange: `target` is the path (e.g. "/api/v1/topologies"). Only `unreachable`.
  Result<HttpReply> request(const std::string& method, const std::string& target,
                            const std::string& body = {}) const;
  // GET `target` with the body written to `destination` (replaced), up to `max_bytes`: for
  // artifacts. unreachable as above; the answer's error for a status other than 200; internal
  // if `destination` cannot be written.
  Status download(const std::string& target, const std::filesystem::path& destination,
                  std::uint64_t max_bytes) const;

  // `so_bytes`: the topology's shared library; `blobs`: key -> bytes, stored with it.
  // `start_at`: RFC 3339 with an offset; the topology stays inactive until then ("": now).
  Result<nlohmann::json> submit(const std::string& name,
                                const std::map<std::string, std::string>& config,
                                const std::string& so_bytes,
                                const std::map<std::string, std::string>& blobs = {},
                                const std::string& start_at = {}) const;
  // Schedules an inactive topology's start (RFC 3339), or cancels it (`start_at` empty).
  Result<nlohmann::json> schedule(const std::string& name, const std::string& start_at) const;
  // The settings that change while it runs; and changing them (`set` key -> value, `reset`
  // keys back to their config's value): POST /topologies/<name>/settings.
  Result<nlohmann::json> settings(const std::string& name) const;
  Result<nlohmann::json> change_settings(const std::string& name,
                                         const std::map<std::string, std::string>& set,
                                         const std::vector<std::string>& reset) const;
  Result<nlohmann::json> list() const;
  Result<nlohmann::json> status(const std::string& name) const;
  Result<nlohmann::json> activate(const std::string& name) const;
  Result<nlohmann::json> deactivate(const std::string& name) const;
  Result<nlohmann::json> kill(const std::string& name, std::optional<std::int64_t> wait_secs) const;
  Result<nlohmann::json> rebalance(const std::string& name, std::optional<std::int64_t> wait_secs,
                                   std::optional<int> workers,
                                   const std::map<std::string, int>& executors) const;
  // Takes savepoint `savepoint` of the topology's last complete checkpoint.
  Result<nlohmann::json> savepoint(const std::string& name, const std::string& savepoint) const;
  // The topology's last `limit` completed checkpoints, newest first.
  Result<nlohmann::json> checkpoints(const std::string& name, std::size_t limit) const;
  Result<nlohmann::json> cluster() const;
  // A page of the log of topology `name`'s worker on `supervisor`'s slot `port` (`start`
  // none: the last `length` bytes), or the last `limit` lines holding `search` (non-empty).
  Result<nlohmann::json> worker_log(const std::string& name, const std::string& supervisor,
                                    int port, std::optional<std::uint64_t> start,
                                    std::uint64_t length, const std::string& search = {},
                                    std::uint64_t limit = 100) const;
  // Replaces one blob of a running topology (its workers pick it up), or lists them.
  Result<nlohmann::json> put_blob(const std::string& name, const std::string& key,
                                  const std::string& bytes) const;
  Result<nlohmann::json> blobs(const std::string& name) const;
  // Tokens (admin): issue one for a principal (the answer carries it, once), list, revoke.
  Result<nlohmann::json> create_token(const std::string& principal, const std::string& role) const;
  Result<nlohmann::json> tokens() const;
  Result<nlohmann::json> revoke_token(const std::string& principal) const;
  // The last `limit` audit log entries, oldest first (admin).
  Result<nlohmann::json> audit(int limit) const;
  // {"principal", "role"} of this client's token.
  Result<nlohmann::json> whoami() const;

  std::string address() const { return endpoint_.host + ":" + std::to_string(endpoint_.port); }

 private:
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const nlohmann::json& body = nullptr) const;
  Result<nlohmann::json> call_with_text(const std::string& method, const std::string& path,
                                        const std::string& body) const;

  NimbusEndpoint endpoint_;
};

}  // namespace gale::nimbus
