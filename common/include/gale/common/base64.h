#pragma once
// Base64 (RFC 4648, with padding) over OpenSSL's EVP functions. Thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace gale {

std::string base64_encode(std::string_view bytes);
// Empty optional if `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace gale
