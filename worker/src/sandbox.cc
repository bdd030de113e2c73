#include "sandbox.h"

#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <string>

namespace gale::worker {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // their shadow memory needs terabytes of address space
#else
constexpr bool kSanitized = false;
#endif

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "gale-worker inspect: sandbox: " << what << ": " << ::strerror(errno) << "\n";
  ::_exit(1);
}

void limit(int resource, rlim_t value, const char* name) {
  rlimit r{value, value};
  if (::setrlimit(resource, &r) != 0) fail(std::string("cannot set ") + name);
}

// In the child: every layer, in the order that keeps the rights each step needs.
void confine(const std::filesystem::path& dir, const SandboxLimits& limits) {
  const bool root = ::geteuid() == 0;
  if (::unshare(CLONE_NEWNET) != 0) {
    if (root) fail("cannot enter a network namespace");
    // Fail closed: a library is never loaded with the network reachable.
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
      fail(
          "cannot enter a network namespace (as a non-root user this needs unprivileged user "
          "namespaces: kernel.unprivileged_userns_clone=1, and no systemd RestrictNamespaces= "
          "that forbids user and net)");
  }
  if (::chdir(dir.c_str()) != 0) fail("cannot enter " + dir.string());
  if (root) {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) fail("no user 'nobody' to run as");
    if (::setgroups(0, nullptr) != 0 || ::setgid(nobody->pw_gid) != 0 ||
        ::setuid(nobody->pw_uid) != 0)
      fail("cannot switch to the user 'nobody'");
    if (::setuid(0) == 0) fail("could switch back to root");
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("cannot set no_new_privs");
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("cannot set the parent-death signal");
  if (::getppid() == 1) ::_exit(1);  // the parent is already gone
  limit(RLIMIT_CORE, 0, "RLIMIT_CORE");
  limit(RLIMIT_CPU, static_cast<rlim_t>(limits.cpu_secs), "RLIMIT_CPU");
  limit(RLIMIT_FSIZE, static_cast<rlim_t>(limits.file_bytes), "RLIMIT_FSIZE");
  limit(RLIMIT_NOFILE, static_cast<rlim_t>(limits.open_files), "RLIMIT_NOFILE");
  if (!kSanitized) limit(RLIMIT_AS, static_cast<rlim_t>(limits.address_space_bytes), "RLIMIT_AS");
}

}  // namespace

int run_sandboxed(const std::filesystem::path& artifact, const SandboxLimits& limits,
                  const std::function<int(const std::filesystem::path& copy)>& load) {
  std::string pattern = (std::filesystem::temp_directory_path() / "gale-inspect-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "gale-worker inspect: sandbox: cannot create a folder in "
              << std::filesystem::temp_directory_path().string() << ": " << ::strerror(errno)
              << "\n";
    return 1;
  }
  const std::filesystem::path dir = pattern;
  const std::filesystem::path copy = dir / "topology.so";
  std::error_code ec;
  std::filesystem::copy_file(artifact, copy, ec);
  // The folder and the copy stay the parent's: readable by the child, not writable.
  if (!ec)
    std::filesystem::permissions(
        dir,
        std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
            std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
            std::filesystem::perms::others_exec,
        ec);
  if (!ec)
    std::filesystem::permissions(copy,
                                 std::filesystem::perms::owner_read |
                                     std::filesystem::perms::group_read |
                                     std::filesystem::perms::others_read,
                                 ec);
  if (ec) {
    std::filesystem::remove_all(dir, ec);
    std::cerr << "cannot read the topology library " << artifact.string() << "\n";
    return 1;
  }
  std::cout.flush();
  std::cerr.flush();
  const pid_t child = ::fork();
  if (child == 0) {
    confine(dir, limits);
    const int code = load(copy);
    std::cout.flush();
    std::cerr.flush();
    ::_exit(code);
  }
  int status = 0;
  if (child > 0)
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  std::filesystem::remove_all(dir, ec);
  if (child < 0) {
    std::cerr << "gale-worker inspect: sandbox: cannot fork: " << ::strerror(errno) << "\n";
    return 1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  const int signal = WTERMSIG(status);
  std::cerr << "the topology library killed its inspection with signal " << signal << " ("
            << ::strsignal(signal) << (signal == SIGXCPU ? ": over its CPU limit" : "") << ")\n";
  return 1;
}

}  // namespace gale::worker
