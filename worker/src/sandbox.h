#pragma once
// The confinement `gale-worker inspect` puts a topology under before it loads it (Nimbus runs
// inspect on every submitted library, and a library's constructors run as soon as it is
// loaded: docs/SECURITY.md). This process, still trusted, copies the library into a fresh
// folder and forks; the child confines itself, then loads:
//
//   - no network: a network namespace of its own, with no interface up (as root; otherwise
//     inside an unprivileged user namespace where the kernel allows one);
//   - another user: `nobody`, no supplementary groups, when this process runs as root;
//   - no new privileges (PR_SET_NO_NEW_PRIVS: no set-uid binary gives them back);
//   - a fresh, otherwise empty working folder holding only the copy (topology.so);
//   - resource limits: CPU seconds, address space, file size, open files, no core dumps;
//   - killed if this process dies (Nimbus's timeout kills this process).
//
// The parent waits, removes the folder and passes the child's exit status on. Every layer is
// required: if one cannot be had (no user namespaces for a non-root user, say), the child exits
// with one line naming it and the library is not loaded.
#include <filesystem>
#include <functional>

namespace gale::worker {

struct SandboxLimits {
  int cpu_secs = 30;
  std::uint64_t address_space_bytes = std::uint64_t{4} << 30;  // not applied under sanitizers
  std::uint64_t file_bytes = std::uint64_t{16} << 20;
  int open_files = 256;
};

// Runs `load(copy)` in the confined child (`copy`: the library's path inside the sandbox) and
// returns the exit code to leave with: load's return value, or 1 with one line on stderr if the
// sandbox could not be set up or the child died by a signal.
int run_sandboxed(const std::filesystem::path& artifact, const SandboxLimits& limits,
                  const std::function<int(const std::filesystem::path& copy)>& load);

}  // namespace gale::worker
