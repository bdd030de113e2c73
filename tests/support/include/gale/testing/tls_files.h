#pragma once
// TLS files for tests that run Nimbus as a user does, made by the script a user runs
// (scripts/make-tls.sh: a private CA and a certificate for localhost and 127.0.0.1).
#include <filesystem>
#include <string>
#include <vector>

namespace gale::testing {

struct TlsFiles {
  std::filesystem::path ca;    // security.tls.ca.file
  std::filesystem::path cert;  // nimbus.tls.cert.file
  std::filesystem::path key;   // nimbus.tls.key.file
};

// Writes the three files into `dir` (created if needed); the certificate also names `names`
// (host names or addresses). Fails the calling test (ADD_FAILURE) with the script's output if
// it did not succeed.
TlsFiles make_tls_files(const std::filesystem::path& dir,
                        const std::vector<std::string>& names = {});

}  // namespace gale::testing
