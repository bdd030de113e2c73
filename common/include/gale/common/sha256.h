#pragma once
// SHA-256 (OpenSSL's EVP functions) as lower-case hex: of bytes and of a file.
// Thread-safe. Nimbus names an artifact by it; the supervisor checks a
// downloaded artifact with it.
#include <filesystem>
#include <string>
#include <string_view>

namespace gale {

// Lower-case hex (64 digits) of the SHA-256 digest of `bytes`.
std::string sha256_hex(std::string_view bytes);

// The same of a file's bytes, read in blocks. Throws std::runtime_error
// ("cannot read <file>", "error reading <file>") if it cannot be read.
std::string sha256_hex_of_file(const std::filesystem::path& file);

// True for 64 lower-case hex digits: what sha256_hex returns.
bool is_sha256_hex(std::string_view text);

}  // namespace gale
