#pragma once
// Base64 (RFC 4648, with padding) over OpenSSL's EVP functions, and SHA-256 (common's
// gale/common/sha256.h). Thread-safe.
#include <optional>
#include <string>
#include <string_view>

#include "gale/common/sha256.h"

namespace gale::nimbus {

std::string base64_encode(std::string_view bytes);
// Empty optional if `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// Lower-case hex of the SHA-256 digest of `bytes`.
using gale::sha256_hex;

}  // namespace gale::nimbus
