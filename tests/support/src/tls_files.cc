#include "gale/testing/tls_files.h"

#include <gtest/gtest.h>

#include "gale/testing/child_process.h"

namespace gale::testing {

TlsFiles make_tls_files(const std::filesystem::path& dir, const std::vector<std::string>& names) {
  std::vector<std::string> argv{"/bin/bash", std::string(GALE_SOURCE_DIR) + "/scripts/make-tls.sh",
                                dir.string()};
  argv.insert(argv.end(), names.begin(), names.end());
  auto made = run_command(argv);
  if (made.exit_code != 0) ADD_FAILURE() << "scripts/make-tls.sh failed: " << made.output;
  return TlsFiles{dir / "ca.pem", dir / "nimbus.pem", dir / "nimbus.key"};
}

}  // namespace gale::testing
