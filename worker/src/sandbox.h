#pragma once
// The confinement `gale-worker inspect` puts a topology under before it loads it (Nimbus runs
// inspect on every submitted library, and a library's constructors run as soon as it is
// loaded: docs/SECURITY.md). This process, still trusted, copies the library into a fresh
// folder and forks a keeper; the keeper enters new namespaces and forks the loader, which
// confines itself, then loads:
//
//   - no network: a network namespace of its own, with no interface up, and no socket at all (a
//     seccomp filter: socket() fails with EACCES), so no Unix socket named by a path either;
//   - no other process: a PID namespace of its own, the loader its first process, so that
//     nothing outside is visible or can be signalled, and every process the library starts dies
//     with the loader (the kernel ends a PID namespace with its first process); a process limit;
//   - no file but what loading needs: Landlock (Linux 5.13 or later) leaves only reading the
//     copy, the system's library folders (/usr, /lib*, /bin, /sbin, the loader's cache) and the
//     folders Gale's own libraries were loaded from, plus /dev/null and the random devices; no
//     write, create or remove anywhere, so Gale's configuration, its TLS key, its tokens and
//     other topologies cannot be read;
//   - another user: `nobody`, no supplementary groups, when this process runs as root (the
//     namespaces come from an unprivileged user namespace otherwise);
//   - no new privileges (PR_SET_NO_NEW_PRIVS: no set-uid binary gives them back);
//   - resource limits: CPU seconds, address space, file size, open files, processes, no core;
//   - killed when this process dies (Nimbus's timeout kills this process).
//
// The parent waits, removes the folder and passes the loader's exit status on. Every layer is
// required: if one cannot be had (no user namespaces for a non-root user, a kernel without
// Landlock), the child exits with one line naming it and the library is not loaded.
#include <cstdint>
#include <filesystem>
#include <functional>

namespace gale::worker {

struct SandboxLimits {
  int cpu_secs = 30;
  std::uint64_t address_space_bytes = std::uint64_t{4} << 30;  // not applied under sanitizers
  std::uint64_t file_bytes = std::uint64_t{16} << 20;
  int open_files = 256;
  int processes = 256;  // RLIMIT_NPROC, counted per user (threads count)
};

// Runs `load(copy)` in the confined child (`copy`: the library's path inside the sandbox) and
// returns the exit code to leave with: load's return value, or 1 with one line on stderr if the
// sandbox could not be set up or the child died by a signal.
int run_sandboxed(const std::filesystem::path& artifact, const SandboxLimits& limits,
                  const std::function<int(const std::filesystem::path& copy)>& load);

}  // namespace gale::worker
