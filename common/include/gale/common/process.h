#pragma once
// Child processes, started from an argv (never a shell): the one spawning
// helper of the daemons (nimbus's `inspect` runs, the supervisor's workers) and
// of the tests (gale::testing).
//
// Every child gets /dev/null as stdin, no inherited descriptor but its stdin,
// stdout and stderr, an empty signal mask and default dispositions for SIGTERM,
// SIGINT, SIGHUP, SIGPIPE and SIGCHLD (a blocked mask survives exec: daemons
// block SIGTERM/SIGINT for sigwait). A Process is tracked by a pidfd, so a
// reused pid is never signalled.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gale {

struct SpawnOptions {
  // argv[0] is the program's path, run as is; with search_path a bare name is
  // looked up in PATH.
  std::vector<std::string> argv;
  bool search_path = false;
  // "NAME=value" each; nothing: this process's environment.
  std::optional<std::vector<std::string>> env;
  // Empty: this process's working directory.
  std::filesystem::path cwd;
  enum class Output {
    inherit,  // this process's stdout and stderr
    append,   // both appended to log_path (created, with its folder, if missing)
    capture,  // one pipe each, read through Process::stdout_fd() / stderr_fd()
  };
  Output output = Output::inherit;
  std::filesystem::path log_path;
  // Its own process group (a terminal's Ctrl-C then reaches only this process).
  bool own_process_group = false;
  // Another user to run as (its group, no supplementary groups, no_new_privs, no ambient
  // capability); needs root or CAP_SETUID and CAP_SETGID. Nothing: this process's.
  struct User {
    uid_t uid = 0;
    gid_t gid = 0;
    bool operator==(const User&) const = default;
  };
  std::optional<User> user;
  // SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG): for test
  // servers, so they never outlive a crashed test.
  bool die_with_parent = false;
};

// Why a child did not start.
class SpawnError : public std::runtime_error {
 public:
  enum class Kind { log_file, start };
  SpawnError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// One started child. Move-only; not thread-safe (its owner calls every method).
// Destroying one that has not been reaped kills it (SIGKILL) and reaps it, so a
// child never outlives, as a zombie or an orphan, the object that owns it.
class Process {
 public:
  Process() = default;
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // A descriptor that poll() reports readable (POLLIN) once the child has
  // exited.
  int exit_fd() const { return pidfd_; }
  // The read ends of the child's stdout and stderr (Output::capture), else -1.
  // Owned here.
  int stdout_fd() const { return out_; }
  int stderr_fd() const { return err_; }
  // Closes stdout_fd() and stderr_fd().
  void close_output();

  // Sends `signal` unless the child was already reaped.
  void send_signal(int signal);
  // The wait status (as waitpid's) if the child has exited, reaping it; nothing
  // if it runs or was reaped before.
  std::optional<int> try_reap();
  // True until the child has exited (reaping it then).
  bool running();
  // Waits up to `limit` for the child to exit; its wait status, or nothing if
  // it still runs.
  std::optional<int> wait_for(std::chrono::milliseconds limit);
  // Waits for the child to exit; its wait status (-1 if reaped before).
  int wait();
  // Sends `signal`, waits up to `grace`, then SIGKILLs; the wait status (-1 if
  // reaped before).
  int stop(int signal, std::chrono::milliseconds grace);

 private:
  friend Process spawn(const SpawnOptions& options);
  void reset();

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool reaped_ = true;
};

// Starts a child. Throws SpawnError: Kind::log_file if the log cannot be
// opened, Kind::start (with the reason, e.g. "cannot start /x: No such file or
// directory") if it cannot be run.
Process spawn(const SpawnOptions& options);

// Runs argv to its end with stdout and stderr captured, killing it (SIGKILL) if
// it outlives `timeout`; `env` as SpawnOptions::env (nothing: this process's).
// Blocking; thread-safe. Throws SpawnError if it cannot be started.
struct CapturedRun {
  int exit_code = -1;  // the exit status, or -1 if it ended by a signal
  int signal = 0;      // the signal that ended it, 0 if it exited
  bool timed_out = false;
  std::string out;
  std::string err;
};
CapturedRun run_captured(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         std::optional<std::vector<std::string>> env = std::nullopt);

// "exit code 3", "killed by signal 9 (Killed)": a wait status for logs.
std::string describe_wait_status(int status);

}  // namespace gale
