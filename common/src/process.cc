#include "gale/common/process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
// glibc 2.36's <sys/pidfd.h> lacks the extern "C" block its other headers have.
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

extern char** environ;

namespace gale {
namespace {

// A descriptor closed on scope exit unless released.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int release() { return std::exchange(fd, -1); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

void make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw SpawnError(SpawnError::Kind::start, std::string("pipe: ") + std::strerror(errno));
  read_end.fd = fds[0];
  write_end.fd = fds[1];
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

// A bare name looked up in PATH, as execvp would (done before fork: execvp may
// allocate).
std::string find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void report_and_exit(int report) {
  int error = errno;
  [[maybe_unused]] ssize_t n = ::write(report, &error, sizeof error);
  ::_exit(127);
}

// The child's side between fork and exec: async-signal-safe calls only. Reports
// a failure's errno on `report` and exits 127.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp,
                             const char* cwd, int out_fd, int err_fd, int report,
                             const SpawnOptions& options, pid_t parent) {
  auto fail = [report]() { report_and_exit(report); };
  if (options.die_with_parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
    if (::getppid() != parent) ::_exit(127);
  }
  if (options.own_process_group && ::setpgid(0, 0) != 0) fail();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD}) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0) fail();
  if (out_fd >= 0 && ::dup2(out_fd, STDOUT_FILENO) < 0) fail();
  if (err_fd >= 0 && ::dup2(err_fd, STDERR_FILENO) < 0) fail();
  if (cwd != nullptr && ::chdir(cwd) != 0) fail();
  if (options.user) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(options.user->gid) != 0 ||
        ::setuid(options.user->uid) != 0)
      fail();
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) fail();
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail();
  }
  // Every other descriptor closes at exec (the report pipe too, which tells the
  // parent that exec succeeded).
  if (::syscall(SYS_close_range, STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC) != 0) fail();
  ::execve(program, argv, envp);
  report_and_exit(report);
}

}  // namespace

Process::~Process() {
  reset();
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      out_(std::exchange(other.out_, -1)),
      err_(std::exchange(other.err_, -1)),
      reaped_(std::exchange(other.reaped_, true)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    out_ = std::exchange(other.out_, -1);
    err_ = std::exchange(other.err_, -1);
    reaped_ = std::exchange(other.reaped_, true);
  }
  return *this;
}

void Process::reset() {
  if (!reaped_) {
    send_signal(SIGKILL);
    siginfo_t info{};
    while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED) != 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  close_output();
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
}

void Process::close_output() {
  if (out_ >= 0) ::close(out_);
  if (err_ >= 0) ::close(err_);
  out_ = err_ = -1;
}

void Process::send_signal(int signal) {
  if (!reaped_) ::pidfd_send_signal(pidfd_, signal, nullptr, 0);
}

std::optional<int> Process::try_reap() {
  if (reaped_) return std::nullopt;
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED | WNOHANG) != 0 ||
      info.si_pid == 0) {
    return std::nullopt;
  }
  reaped_ = true;
  return wait_status(info);
}

bool Process::running() {
  if (reaped_) return false;
  try_reap();
  return !reaped_;
}

std::optional<int> Process::wait_for(std::chrono::milliseconds limit) {
  if (reaped_) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (auto status = try_reap()) return status;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fd{pidfd_, POLLIN, 0};
    ::poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
  }
}

int Process::stop(int signal, std::chrono::milliseconds grace) {
  if (reaped_) return -1;
  send_signal(signal);
  if (auto status = wait_for(grace)) return *status;
  send_signal(SIGKILL);
  return wait();
}

int Process::wait() {
  if (reaped_) return -1;
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED) != 0 && errno == EINTR) {
  }
  reaped_ = true;
  return wait_status(info);
}

Process spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw SpawnError(SpawnError::Kind::start, "empty argv");
  const std::string program = options.search_path ? find_in_path(options.argv[0]) : options.argv[0];

  Fd log, out_read, out_write, err_read, err_write;
  int out_fd = -1, err_fd = -1;
  if (options.output == SpawnOptions::Output::append) {
    std::error_code ec;
    if (options.log_path.has_parent_path())
      std::filesystem::create_directories(options.log_path.parent_path(), ec);
    // 0600: a log may hold customers' data (a worker's; docs/SECURITY.md).
    log.fd = ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log.fd < 0) {
      throw SpawnError(SpawnError::Kind::log_file, "cannot open log " + options.log_path.string() +
                                                       ": " + std::strerror(errno));
    }
    out_fd = err_fd = log.fd;
  } else if (options.output == SpawnOptions::Output::capture) {
    make_pipe(out_read, out_write);
    make_pipe(err_read, err_write);
    out_fd = out_write.fd;
    err_fd = err_write.fd;
  }
  Fd report_read, report_write;
  make_pipe(report_read, report_write);

  std::vector<char*> argv = c_strings(options.argv);
  std::vector<char*> envp;
  if (options.env) envp = c_strings(*options.env);
  char* const* env = options.env ? envp.data() : environ;
  const std::string cwd = options.cwd.string();
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0)
    throw SpawnError(SpawnError::Kind::start,
                     "cannot start " + options.argv[0] + ": fork: " + std::strerror(errno));
  if (pid == 0) {
    exec_child(program.c_str(), argv.data(), env, cwd.empty() ? nullptr : cwd.c_str(), out_fd,
               err_fd, report_write.fd, options, parent);
  }
  report_write.reset();  // the read below then ends at the child's exec or exit
  out_write.reset();
  err_write.reset();

  int error = 0;
  ssize_t n;
  while ((n = ::read(report_read.fd, &error, sizeof error)) < 0 && errno == EINTR) {
  }
  if (n == sizeof error) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw SpawnError(SpawnError::Kind::start,
                     "cannot start " + options.argv[0] + ": " + std::strerror(error));
  }
  // Nobody else reaps our children, so the pid names this child until we wait
  // for it.
  const int pidfd = static_cast<int>(::pidfd_open(pid, 0));
  if (pidfd < 0) {
    const int e = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw SpawnError(SpawnError::Kind::start, std::string("pidfd_open: ") + std::strerror(e));
  }
  Process process;
  process.pid_ = pid;
  process.pidfd_ = pidfd;
  process.out_ = out_read.release();
  process.err_ = err_read.release();
  process.reaped_ = false;
  return process;
}

CapturedRun run_captured(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         std::optional<std::vector<std::string>> env) {
  SpawnOptions options;
  options.argv = argv;
  options.env = std::move(env);
  options.output = SpawnOptions::Output::capture;
  Process child = spawn(options);

  CapturedRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Reads both pipes until they close or the deadline passes.
  std::array<char, 4096> buffer;
  int fds_open[2] = {child.stdout_fd(), child.stderr_fd()};
  std::string* sinks[2] = {&run.out, &run.err};
  while (fds_open[0] >= 0 || fds_open[1] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      child.send_signal(SIGKILL);
      break;
    }
    pollfd fds[2] = {{fds_open[0], POLLIN, 0}, {fds_open[1], POLLIN, 0}};
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0)
        sinks[i]->append(buffer.data(), static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR)
        fds_open[i] = -1;
    }
  }
  child.close_output();
  // Reaps the child, killing it first if it is still running at the deadline
  // (it may have closed its output without exiting).
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  int status = 0;
  if (auto done = child.wait_for(std::max(left, std::chrono::milliseconds(0))))
    status = *done;
  else
    status = child.stop(SIGKILL, std::chrono::milliseconds(0));
  if (std::chrono::steady_clock::now() >= deadline) run.timed_out = true;
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  return run;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

}  // namespace gale
