#pragma once
// API tokens (docs/SECURITY.md). A token is "<principal>.<secret>": the secret is 32 random bytes
// from OpenSSL, as 64 hex digits. Nimbus keeps only the secret's SHA-256, in ZooKeeper
// (/tokens/<principal>, ClusterState), so that a copy of ZooKeeper's data gives no token; the
// secret is shown once, when issued. A 256-bit random secret needs no slow password hash: it
// cannot be guessed, only stolen.
//
// One token per principal: issuing again replaces (and so revokes) the previous one.
// Thread-safe: free functions over the store.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gale/coordination/cluster_state.h"
#include "gale/nimbus/errors.h"

namespace gale::nimbus {

// What a principal may do (docs/SECURITY.md has the table). `supervisor` is the daemons' own:
// it may only download artifacts.
enum class Role { admin, deployer, viewer, supervisor };

std::string_view to_string(Role role);
// "admin" -> Role::admin; bad_request naming the role and the choices otherwise.
Result<Role> parse_role(std::string_view text);

struct IssuedToken {
  std::string token;  // "<principal>.<secret>": give it to the principal, it is not kept
  coordination::TokenRecord record;
};

// Makes a fresh token for `principal` with `role` and stores its hash (replacing any previous
// token of the principal). bad_request for an invalid principal name; the store's error else.
Result<IssuedToken> issue_token(coordination::ClusterState& state, std::string_view principal,
                                Role role, std::int64_t now_secs);

struct TokenParts {
  std::string principal;
  std::string secret;
};
// Splits "<principal>.<secret>" at its last '.'; nullopt unless both parts look right.
std::optional<TokenParts> split_token(std::string_view token);

// A fresh secret: 32 random bytes from OpenSSL as 64 lower-case hex digits (a token's, or a
// topology's ZooKeeper identity's); internal if the system's random source fails.
Result<std::string> random_secret();

// Lower-case hex SHA-256 of a token's secret: what is stored and compared.
std::string secret_hash(std::string_view secret);

}  // namespace gale::nimbus
