#include "sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <utility>

// Access rights newer than the kernel headers this may be built with (Debian 12's are 6.1).
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

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

// Dies with the process that forked this one (checked against its pid: a subreaper, not only
// init, may have adopted this process already).
void die_with_parent(pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("cannot set the parent-death signal");
  if (::getppid() != parent) ::_exit(1);
}

// The same for the loader, whose parent (the keeper) lies outside its PID namespace and so has
// no pid there: the keeper holds the write end of `alive`, which reads as hung up once the
// keeper is gone.
void die_with_keeper(int alive) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("cannot set the parent-death signal");
  pollfd keeper{alive, 0, 0};
  if (::poll(&keeper, 1, 0) != 0) ::_exit(1);
  ::close(alive);
}

// The keeper: its own network namespace (no interface up) and a PID namespace for the loader
// it forks next. As root directly; otherwise inside an unprivileged user namespace.
void enter_namespaces(pid_t parent) {
  die_with_parent(parent);
  if (::unshare(CLONE_NEWNET | CLONE_NEWPID) != 0) {
    if (::geteuid() == 0) fail("cannot enter a network and a PID namespace");
    // Fail closed: a library is never loaded with the network reachable.
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID) != 0)
      fail(
          "cannot enter a network and a PID namespace (as a non-root user this needs "
          "unprivileged user namespaces: kernel.unprivileged_userns_clone=1, and no systemd "
          "RestrictNamespaces= that forbids user, net and pid)");
  }
  die_with_parent(parent);  // entering a user namespace clears the parent-death signal
}

// Every file right Landlock knows at this ABI version: all of them are handled (refused unless
// a rule allows them).
std::uint64_t handled_rights(int abi) {
  std::uint64_t rights = (1ULL << 13) - 1;  // ABI 1: execute ... make_sym
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5) rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  return rights;
}

int add_loaded_folder(dl_phdr_info* info, std::size_t, void* folders) {
  if (info->dlpi_name != nullptr && info->dlpi_name[0] == '/')
    static_cast<std::set<std::string>*>(folders)->insert(
        std::filesystem::path(info->dlpi_name).parent_path().string());
  return 0;
}

// Allows `rights` (masked to what a file may be given when `path` is not a folder) beneath
// `path`; a path this system does not have is skipped.
void allow(int ruleset, const std::string& path, std::uint64_t rights, std::uint64_t handled) {
  const int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail("cannot stat " + path);
  if (!S_ISDIR(st.st_mode))
    rights &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
              LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
              LANDLOCK_ACCESS_FS_IOCTL_DEV;
  landlock_path_beneath_attr rule{};
  rule.allowed_access = rights & handled;
  rule.parent_fd = fd;
  if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
    fail("cannot add a Landlock rule for " + path);
  ::close(fd);
}

// Leaves this process reading only what loading a library needs: the copy's folder, the
// system's library folders, the folders Gale's own libraries came from, and a few devices.
void restrict_files(const std::filesystem::path& dir) {
  const long abi =
      ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1)
    fail(
        "Landlock is not available (it needs Linux 5.13 or later with 'landlock' in the "
        "kernel's lsm= list)");
  const std::uint64_t handled = handled_rights(static_cast<int>(abi));
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = handled;
  const int ruleset =
      static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) fail("cannot create a Landlock ruleset");

  const std::uint64_t read =
      LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  std::set<std::string> folders{
      dir.string(),        "/usr",           "/lib",      "/lib32",           "/lib64",
      "/libx32",           "/bin",           "/sbin",     "/etc/ld.so.cache", "/etc/ld.so.conf",
      "/etc/ld.so.conf.d", "/etc/localtime", "/dev/zero", "/dev/urandom",     "/dev/random"};
  ::dl_iterate_phdr(add_loaded_folder, &folders);
  for (const auto& folder : folders) allow(ruleset, folder, read, handled);
  allow(ruleset, "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE,
        handled);
  if (::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
    fail("cannot enforce the Landlock ruleset");
  ::close(ruleset);
}

#if defined(__x86_64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "the inspect sandbox's seccomp filter knows x86_64 and aarch64"
#endif

// No socket at all: the network namespace has no interface, but a Unix socket named by a path
// (the system bus, journald, a resolver's) would still be reachable, and Landlock does not
// govern connecting to one. Loading a library needs none, so socket() fails with EACCES (a
// call from another architecture's table ends the process).
void refuse_sockets() {
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog filter{static_cast<unsigned short>(std::size(program)), program};
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0)
    fail("cannot install the seccomp filter");
}

// The loader, first process of its PID namespace: every remaining layer, in the order that
// keeps the rights each step needs.
void confine(const std::filesystem::path& dir, const SandboxLimits& limits, int keeper_alive,
             const std::optional<std::pair<uid_t, gid_t>>& nobody) {
  if (::chdir(dir.c_str()) != 0) fail("cannot enter " + dir.string());
  if (::geteuid() == 0) {
    if (!nobody) fail("no user 'nobody' to run as");
    if (::setgroups(0, nullptr) != 0 || ::setgid(nobody->second) != 0 ||
        ::setuid(nobody->first) != 0)
      fail("cannot switch to the user 'nobody'");
    if (::setuid(0) == 0) fail("could switch back to root");
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("cannot set no_new_privs");
  die_with_keeper(keeper_alive);
  limit(RLIMIT_CORE, 0, "RLIMIT_CORE");
  limit(RLIMIT_CPU, static_cast<rlim_t>(limits.cpu_secs), "RLIMIT_CPU");
  limit(RLIMIT_FSIZE, static_cast<rlim_t>(limits.file_bytes), "RLIMIT_FSIZE");
  limit(RLIMIT_NOFILE, static_cast<rlim_t>(limits.open_files), "RLIMIT_NOFILE");
  limit(RLIMIT_NPROC, static_cast<rlim_t>(limits.processes), "RLIMIT_NPROC");
  if (!kSanitized) limit(RLIMIT_AS, static_cast<rlim_t>(limits.address_space_bytes), "RLIMIT_AS");
  restrict_files(dir);
  refuse_sockets();
}

int wait_for(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status;
}

// The exit code a waited-for status becomes; a death by signal is told in one line. The loader
// is the first process of its PID namespace, where the kernel's CPU limit ends it with SIGKILL.
int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  const int signal = WTERMSIG(status);
  std::cerr << "the topology library killed its inspection with signal " << signal << " ("
            << ::strsignal(signal) << (signal == SIGKILL ? ": a limit was reached" : "") << ")\n";
  return 1;
}

// The keeper: forks the loader into the namespaces it entered and passes its outcome on.
[[noreturn]] void keep(const std::filesystem::path& dir, const std::filesystem::path& copy,
                       const SandboxLimits& limits,
                       const std::function<int(const std::filesystem::path& copy)>& load,
                       pid_t parent, const std::optional<std::pair<uid_t, gid_t>>& nobody) {
  enter_namespaces(parent);
  int alive[2];
  if (::pipe2(alive, O_CLOEXEC) != 0) fail("cannot make a pipe");
  const pid_t loader = ::fork();
  if (loader < 0) fail("cannot fork the loader");
  if (loader == 0) {
    ::close(alive[1]);
    confine(dir, limits, alive[0], nobody);
    const int code = load(copy);
    std::cout.flush();
    std::cerr.flush();
    ::_exit(code);
  }
  ::close(alive[0]);
  const int status = wait_for(loader);
  if (status < 0) fail("cannot wait for the loader");
  std::cerr.flush();
  ::_exit(exit_code(status));
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
  // Looked up here, before any namespace: a directory service (LDAP, sssd) is not reachable
  // from inside.
  std::optional<std::pair<uid_t, gid_t>> nobody;
  if (const passwd* user = ::getpwnam("nobody"); user != nullptr)
    nobody = std::pair{user->pw_uid, user->pw_gid};
  const pid_t parent = ::getpid();
  const pid_t keeper = ::fork();
  if (keeper == 0) keep(dir, copy, limits, load, parent, nobody);
  const int status = keeper > 0 ? wait_for(keeper) : -1;
  std::filesystem::remove_all(dir, ec);
  if (status < 0) {
    std::cerr << "gale-worker inspect: sandbox: cannot fork or wait: " << ::strerror(errno) << "\n";
    return 1;
  }
  return exit_code(status);
}

}  // namespace gale::worker
