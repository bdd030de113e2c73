#include "gale/nimbus/tokens.h"

#include <algorithm>

#include "gale/common/secret.h"
#include "gale/common/sha256.h"
#include "store_errors.h"

namespace gale::nimbus {

namespace {

constexpr std::size_t kSecretBytes = 32;

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string_view to_string(Role role) {
  switch (role) {
    case Role::admin:
      return "admin";
    case Role::deployer:
      return "deployer";
    case Role::viewer:
      return "viewer";
    case Role::supervisor:
      return "supervisor";
  }
  return "viewer";
}

Result<Role> parse_role(std::string_view text) {
  for (Role role : {Role::admin, Role::deployer, Role::viewer, Role::supervisor})
    if (to_string(role) == text) return role;
  return make_error(
      NimbusErrc::bad_request,
      "unknown role '" + std::string(text) + "': expected admin, deployer, viewer or supervisor");
}

Result<std::string> random_secret() {
  auto secret = random_secret_hex(kSecretBytes);
  if (!secret) return make_error(NimbusErrc::internal, secret.error().message);
  return secret;
}

Result<IssuedToken> issue_token(coordination::ClusterState& state, std::string_view principal,
                                Role role, std::int64_t now_secs) {
  if (auto valid = coordination::validate_name("principal", principal); !valid)
    return make_error(NimbusErrc::bad_request, valid.error().message);
  auto secret = random_secret();
  if (!secret) return secret.error();
  IssuedToken issued{
      std::string(principal) + "." + *secret,
      {std::string(principal), std::string(to_string(role)), secret_hash(*secret), now_secs}};
  if (auto stored = state.set_token(issued.record); !stored)
    return store_failure(stored.error(), "cannot store the token");
  return issued;
}

std::optional<TokenParts> split_token(std::string_view token) {
  auto dot = token.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  TokenParts parts{std::string(token.substr(0, dot)), std::string(token.substr(dot + 1))};
  if (parts.secret.size() != 2 * kSecretBytes || !is_hex(parts.secret)) return std::nullopt;
  if (!coordination::validate_name("principal", parts.principal)) return std::nullopt;
  return parts;
}

std::string secret_hash(std::string_view secret) {
  return sha256_hex(secret);
}

}  // namespace gale::nimbus
