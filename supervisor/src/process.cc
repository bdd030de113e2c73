#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
// glibc 2.36's <sys/pidfd.h> lacks the extern "C" block its other headers have.
extern "C" {
#include <sys/pidfd.h>
}
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include "unique_fd.h"

extern char** environ;

namespace gale::supervisor {
namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// waitid's report as the status waitpid would have given.
int wait_status(const siginfo_t& info) {
  switch (info.si_code) {
    case CLD_EXITED:
      return W_EXITCODE(info.si_status, 0);
    case CLD_DUMPED:
      return W_EXITCODE(0, info.si_status) | WCOREFLAG;
    default:
      return W_EXITCODE(0, info.si_status);  // CLD_KILLED
  }
}

// A child tracked by a pidfd: signals and waits go to exactly this process, even once its pid
// has been reused.
class PidfdChild final : public ChildProcess {
 public:
  PidfdChild(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ~PidfdChild() override {
    if (reaped_) return;
    send_signal(SIGKILL);
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  }
  PidfdChild(const PidfdChild&) = delete;
  PidfdChild& operator=(const PidfdChild&) = delete;

  pid_t pid() const override { return pid_; }
  int exit_fd() const override { return pidfd_.get(); }

  void send_signal(int signal) override {
    if (!reaped_) ::pidfd_send_signal(pidfd_.get(), signal, nullptr, 0);
  }

  std::optional<int> try_reap() override {
    if (reaped_) return std::nullopt;
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG) != 0 ||
        info.si_pid == 0) {
      return std::nullopt;
    }
    reaped_ = true;
    return wait_status(info);
  }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool reaped_ = false;
};

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// The child starts with nothing blocked and the signals a daemon handles reset to default
// (a blocked mask survives exec: the supervisor blocks SIGTERM/SIGINT for sigwait).
void configure_signals_and_group(posix_spawnattr_t& attr) {
  sigset_t none;
  sigemptyset(&none);
  sigset_t reset;
  sigemptyset(&reset);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&reset, s);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &reset);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setflags(
      &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
}

void redirect_output(posix_spawn_file_actions_t& actions, int log_fd) {
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
}

Result<UniqueFd> open_log(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd) {
    return make_error(SupervisorErrc::io_error,
                      "cannot open log " + path.string() + ": " + errno_text(errno));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> PosixSpawnLauncher::launch(const LaunchSpec& spec) {
  if (spec.argv.empty()) return make_error(SupervisorErrc::launch_failed, "empty argv");
  auto log = open_log(spec.log_path);
  if (!log) return log.error();
  SpawnSetup setup;
  configure_signals_and_group(setup.attr);
  redirect_output(setup.actions, log->get());

  std::vector<char*> argv;
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (int rc = ::posix_spawn(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), environ);
      rc != 0) {
    return make_error(SupervisorErrc::launch_failed,
                      "cannot start " + spec.argv[0] + ": " + errno_text(rc));
  }
  // Nobody else reaps our children, so the pid names this child until we wait for it.
  UniqueFd pidfd(::pidfd_open(pid, 0));
  if (!pidfd) {
    const int error = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return make_error(SupervisorErrc::launch_failed, "pidfd_open: " + errno_text(error));
  }
  return std::unique_ptr<ChildProcess>(std::make_unique<PidfdChild>(pid, std::move(pidfd)));
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

}  // namespace gale::supervisor
