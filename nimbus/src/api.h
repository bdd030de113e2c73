#pragma once
// The HTTP API of docs/CLUSTER.md ("Nimbus HTTP API"), under /api/v1: parses each request,
// calls TopologyService, ArtifactStore or the token store, answers JSON ({"error": "..."} on
// failure, with the status of the error's NimbusErrc).
//
// The console's files (GET / and /ui/...) hold no data and are served to anyone, as GET /health
// is. Every other request goes through, in this order: the route (404), authentication
// (401; failures are rate-limited per source address), the caller's rate limit (429), the
// leadership (503 from a Nimbus that is not the leader), authorization (403, docs/SECURITY.md),
// then the call. Every state-changing call and every refused call is written to the audit log
// before the answer is sent.
// Threads: handle() runs on the HTTP server's handler pool; it may block as the service does.
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "artifact_store.h"
#include "audit_log.h"
#include "console_assets.h"
#include "gale/anomalies/log.h"
#include "gale/metric_history/store.h"
#include "gale/nimbus/access.h"
#include "gale/nimbus/http_server.h"
#include "rate_limiter.h"
#include "topology_service.h"

namespace gale::nimbus {

struct LeaderView {
  std::function<bool()> is_leader;                     // this Nimbus leads
  std::function<std::optional<std::string>()> leader;  // the leader's id, if any
};

// What the API guards calls with; all borrowed, outliving the Api.
struct ApiGuards {
  const AccessControl& access;
  RateLimiter& limiter;
  AuditLog& audit;
};

class Api {
 public:
  // `history`, `anomalies`: the metric history and the anomaly log, null where they could not be
  // opened (their routes answer 503). `console`: the console's files, served at /ui/ (null: no
  // console, /ui/ is 404).
  Api(TopologyService& service, const ArtifactStore& artifacts, coordination::ClusterState& state,
      LeaderView leader, ApiGuards guards, Now now,
      const metric_history::HistoryStore* history = nullptr,
      const anomalies::AnomalyLog* anomalies = nullptr, const ConsoleAssets* console = nullptr)
      : service_(service),
        artifacts_(artifacts),
        state_(state),
        leader_(std::move(leader)),
        guards_(guards),
        now_(std::move(now)),
        history_(history),
        anomalies_(anomalies),
        console_(console) {}

  HttpResponse handle(const HttpRequest& request);
  // For a request with a body, from its header alone (HttpServer's HeaderCheck): the 401 (or
  // 429) an unknown caller gets, audited as handle() would, before its body is read; nothing
  // for a caller whose token is valid (handle() then counts it against its principal's rate).
  std::optional<HttpResponse> check_header(const HttpRequest& request);

  // One resolved call: what it is (for authorization and the audit log) and how to run it.
  struct Call {
    std::string action;    // "submit", "kill", "token.create", "list", ...
    std::string topology;  // the topology acted on, if any
    std::string target;    // another object acted on (a token's principal, a blob's key)
    std::optional<Permission> permission;  // none: any authenticated principal
    bool changes_state = false;
    std::function<Result<HttpResponse>(const Principal&)> run;
    // A read audited like a change: a worker's log may hold customers' data.
    bool audit_read = {};
  };

 private:
  Result<Call> resolve(const HttpRequest& request);
  Result<nlohmann::json> history(const metric_history::HistoryQuery& q) const;
  Result<Call> topology_call(const std::string& name, const std::string& action,
                             const std::string& body);
  Result<Call> token_call(const HttpRequest& request, const std::vector<std::string>& parts);
  // Who calls, within the rate limits: a failed authentication counts against the caller's
  // address, a call against its principal.
  Result<Principal> authenticate(const HttpRequest& request);
  // Whether a state change may go ahead: unavailable (503) while the audit log cannot be
  // written (checked by writing an "audit.resumed" line after a failed one).
  Status audit_ready(const HttpRequest& request, const Principal& who);
  // Audited reads (Call::audit_read): a read served to the same principal (same topology,
  // worker, kind and search) within kReadAuditIntervalSecs of one whose audit line was written
  // is not audited again, so that a log followed in the console is one entry per interval.
  bool recently_audited(const Call& call, const Principal& who);
  void remember_read(const Call& call, const Principal& who);
  static constexpr std::int64_t kReadAuditIntervalSecs = 300;
  static constexpr std::size_t kMaxRememberedReads = 10000;
  std::mutex reads_mutex_;
  std::map<std::string, std::int64_t> audited_reads_;  // key -> when last audited
  // The answer to a caller that could not be authenticated, audited unless it is a 429.
  HttpResponse refuse_unknown(const HttpRequest& request, const Error& error);
  // Checks leadership and authorizes `call` for `who`, then runs it.
  Result<HttpResponse> authorized(const Call& call, const Principal& who);
  // Writes one audit line; false (logged) if it could not be written.
  bool audit(const HttpRequest& request, const Call& call, const std::optional<Principal>& who,
             int status, const std::string& detail);

  TopologyService& service_;
  const ArtifactStore& artifacts_;
  coordination::ClusterState& state_;
  LeaderView leader_;
  ApiGuards guards_;
  Now now_;
  const metric_history::HistoryStore* history_;
  const anomalies::AnomalyLog* anomalies_;
  const ConsoleAssets* console_;
};

}  // namespace gale::nimbus
