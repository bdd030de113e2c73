#include "gale/nimbus/access.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "store_errors.h"

namespace gale::nimbus {

namespace {

constexpr std::string_view kBearer = "Bearer ";

bool role_allows(Role role, Permission permission) {
  switch (role) {
    case Role::admin:
      return true;
    case Role::deployer:
      return permission == Permission::topology_submit || permission == Permission::topology_read ||
             permission == Permission::cluster_read || permission == Permission::data_query ||
             permission == Permission::metrics_read || controls_a_topology(permission);
    case Role::viewer:
      return permission == Permission::topology_read || permission == Permission::cluster_read ||
             permission == Permission::data_query || permission == Permission::metrics_read;
    case Role::supervisor:
      return permission == Permission::artifact_read;
  }
  return false;
}

Error unauthenticated(const std::string& why) {
  return make_error(NimbusErrc::unauthenticated, why);
}

}  // namespace

bool controls_a_topology(Permission permission) {
  switch (permission) {
    case Permission::topology_kill:
    case Permission::topology_rebalance:
    case Permission::topology_activate:
    case Permission::topology_deactivate:
    case Permission::topology_blob_write:
    case Permission::topology_savepoint:
    case Permission::topology_settings:
    case Permission::topology_logs:
      return true;
    default:
      return false;
  }
}

std::string_view to_string(Permission permission) {
  switch (permission) {
    case Permission::topology_submit:
      return "topology.submit";
    case Permission::topology_read:
      return "topology.read";
    case Permission::topology_kill:
      return "topology.kill";
    case Permission::topology_rebalance:
      return "topology.rebalance";
    case Permission::topology_activate:
      return "topology.activate";
    case Permission::topology_deactivate:
      return "topology.deactivate";
    case Permission::topology_blob_write:
      return "topology.blob.write";
    case Permission::topology_savepoint:
      return "topology.savepoint";
    case Permission::topology_settings:
      return "topology.settings";
    case Permission::topology_logs:
      return "topology.logs";
    case Permission::cluster_read:
      return "cluster.read";
    case Permission::artifact_read:
      return "artifact.read";
    case Permission::token_admin:
      return "token.admin";
    case Permission::audit_read:
      return "audit.read";
    case Permission::data_query:
      return "data.query";
    case Permission::metrics_read:
      return "metrics.read";
  }
  return "unknown";
}

Result<Principal> AccessControl::authenticate(std::string_view authorization) const {
  if (!enabled_) return Principal{"anonymous", Role::admin};
  if (authorization.empty())
    return unauthenticated("a token is required: send 'Authorization: Bearer <token>'");
  if (!authorization.starts_with(kBearer))
    return unauthenticated("only 'Authorization: Bearer <token>' is accepted");
  auto parts = split_token(authorization.substr(kBearer.size()));
  if (!parts) return unauthenticated("the token is malformed");
  auto stored = state_.token(parts->principal);
  if (!stored) return store_failure(stored.error(), "cannot read the tokens");
  const std::string presented = secret_hash(parts->secret);
  // The same answer for an unknown principal and a wrong secret: neither tells which it was.
  if (!*stored || (*stored)->sha256.size() != presented.size() ||
      CRYPTO_memcmp((*stored)->sha256.data(), presented.data(), presented.size()) != 0)
    return unauthenticated("the token is not valid (unknown, revoked or replaced)");
  auto role = parse_role((*stored)->role);
  if (!role) return unauthenticated("the token's role is not known: " + (*stored)->role);
  return Principal{parts->principal, *role};
}

Status AccessControl::authorize(const Principal& principal, Permission permission,
                                const coordination::TopologyRecord* topology) {
  const std::string who =
      "principal '" + principal.name + "' (" + std::string(to_string(principal.role)) + ")";
  if (!role_allows(principal.role, permission))
    return make_error(NimbusErrc::forbidden,
                      who + " lacks the permission " + std::string(to_string(permission)));
  if (principal.role != Role::deployer || !controls_a_topology(permission) || topology == nullptr)
    return {};
  if (topology->owner == principal.name) return {};
  auto users = topology->config.find("topology.users");
  if (users != topology->config.end()) {
    auto named = parse_topology_users(users->second);
    if (named && std::find(named->begin(), named->end(), principal.name) != named->end()) return {};
  }
  return make_error(NimbusErrc::forbidden,
                    who + " lacks the permission " + std::string(to_string(permission)) +
                        " on topology '" + topology->name + "': it is owned by '" +
                        topology->owner + "' and topology.users does not name it");
}

Result<std::vector<std::string>> parse_topology_users(std::string_view text) {
  std::vector<std::string> users;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) continue;
    if (auto valid = coordination::validate_name("principal in topology.users", entry); !valid)
      return make_error(NimbusErrc::bad_request, valid.error().message);
    users.emplace_back(entry);
  }
  return users;
}

}  // namespace gale::nimbus
