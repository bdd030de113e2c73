#include "gale/nimbus/tokens.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>

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
  std::array<unsigned char, kSecretBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    return make_error(NimbusErrc::internal, "the system's random source failed");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string secret;
  for (unsigned char b : bytes) {
    secret += kDigits[b >> 4];
    secret += kDigits[b & 0xf];
  }
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
