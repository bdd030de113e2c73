#pragma once
// Who may call Nimbus's API, and what each may do (docs/SECURITY.md).
//
// authenticate() turns an "Authorization: Bearer <token>" header into a Principal by the token's
// stored hash (compared in constant time); authorize() decides a call by the principal's role
// and, for the calls that control one topology, its owner and topology.users:
//
//   admin       everything
//   deployer    submit; read; control (kill, rebalance, activate, deactivate, blob put,
//               settings) and the workers' logs of the topologies it owns or is named in by
//               topology.users; data queries
//   viewer      read: list, status, blobs list, cluster; data queries (gale-query)
//   supervisor  download artifacts (the supervisors' own role)
//
// With security off (security.enabled=false) every caller is the admin "anonymous".
// Thread-safe: authenticate reads the store; authorize is pure.
#include <string>
#include <string_view>

#include "gale/coordination/cluster_state.h"
#include "gale/nimbus/errors.h"
#include "gale/nimbus/tokens.h"

namespace gale::nimbus {

enum class Permission {
  topology_submit,
  topology_read,
  topology_kill,
  topology_rebalance,
  topology_activate,
  topology_deactivate,
  topology_blob_write,
  topology_savepoint,
  topology_settings,  // runtime settings (gale set)
  topology_logs,      // its workers' logs (they may hold customers' data: not for viewers)
  cluster_read,
  artifact_read,
  token_admin,
  audit_read,
  data_query,    // gale-query's templated queries over result tables
  metrics_read,  // /metrics (Prometheus) and the metric history
};

// "topology.kill", ...: how a 403 names what is missing.
std::string_view to_string(Permission permission);
// Whether `permission` acts on one topology that a deployer must own or be granted.
bool controls_a_topology(Permission permission);

struct Principal {
  std::string name;
  Role role = Role::viewer;
};

class AccessControl {
 public:
  // Borrows `state`. `enabled`: security.enabled.
  AccessControl(coordination::ClusterState& state, bool enabled)
      : state_(state), enabled_(enabled) {}

  bool enabled() const { return enabled_; }

  // The principal whose token `authorization` ("Bearer <token>") carries. unauthenticated with
  // one line otherwise (no header, another scheme, a malformed, unknown or revoked token);
  // internal if the token store cannot be read.
  Result<Principal> authenticate(std::string_view authorization) const;

  // ok if `principal` may exercise `permission`; for the per-topology permissions, `topology`
  // is the topology acted on. forbidden naming the principal, its role and the permission.
  static Status authorize(const Principal& principal, Permission permission,
                          const coordination::TopologyRecord* topology = nullptr);

 private:
  coordination::ClusterState& state_;
  bool enabled_;
};

// The principals named by a topology.users value ("alice, bob"): split at commas, trimmed,
// empty entries dropped. bad_request naming an entry that is not a valid principal name.
Result<std::vector<std::string>> parse_topology_users(std::string_view text);

}  // namespace gale::nimbus
