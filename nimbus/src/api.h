#pragma once
// The HTTP API of docs/CLUSTER.md ("Nimbus HTTP API"), under /api/v1: parses each request,
// calls TopologyService or ArtifactStore, answers JSON ({"error": "..."} on failure, with the
// status of the error's NimbusErrc). A Nimbus that is not the leader answers 503 to all.
// Threads: handle() runs on the HTTP server's thread; it may block as the service does.
#include <functional>
#include <optional>
#include <string>

#include "artifact_store.h"
#include "http_server.h"
#include "topology_service.h"

namespace gale::nimbus {

struct LeaderView {
  std::function<bool()> is_leader;                     // this Nimbus leads
  std::function<std::optional<std::string>()> leader;  // the leader's id, if any
};

class Api {
 public:
  Api(TopologyService& service, const ArtifactStore& artifacts, LeaderView leader)
      : service_(service), artifacts_(artifacts), leader_(std::move(leader)) {}

  HttpResponse handle(const HttpRequest& request);

 private:
  Result<HttpResponse> route(const HttpRequest& request);
  Result<HttpResponse> topology_action(const std::string& name, const std::string& action,
                                       const std::string& body);

  TopologyService& service_;
  const ArtifactStore& artifacts_;
  LeaderView leader_;
};

}  // namespace gale::nimbus
