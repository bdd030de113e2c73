#pragma once
// Base64 (RFC 4648, with padding) and SHA-256, over OpenSSL's EVP functions. Thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace gale::nimbus {

std::string base64_encode(std::string_view bytes);
// Empty optional if `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// Lower-case hex of the SHA-256 digest of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace gale::nimbus
