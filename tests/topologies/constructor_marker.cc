// A shared library whose only content is a constructor, as an attacker would upload. When it is
// loaded it tries what an attacker would, then writes one line saying what it could see and do
// to stderr and ends the process with exit code 3, so that the line becomes the refusal that
// `gale-worker inspect` (and Nimbus, and the CLI) relays:
//
//   constructor ran: uid=<uid> pid=<pid> fork=<outcome> connect=<outcome> cwd=<entries>
//       token=<0|1> read=<outcome> write=<outcome>
//
// connect: a TCP connect to 127.0.0.1:1 (ECONNREFUSED where the loopback is up, ENETUNREACH in
// an empty network namespace, EACCES where no socket may be made at all); pid: its own pid (1
// as the first process of a PID namespace); fork: whether it could start a process;
// cwd: how many entries its working folder holds; token: whether GALE_TOKEN was in its
// environment; read: opening GALE_CONSTRUCTOR_PROBE (a file the tests make world-readable,
// standing for Gale's configuration); write: creating a file beside it. Before that it starts a
// process named "gale-leftover" that sleeps for a minute, which a sandbox must not let outlive
// the inspection. All paths are fixed at build time, so it needs nothing from its environment.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

const char* outcome(int rc, int error) {
  if (rc >= 0) return "ok";
  switch (error) {
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case ENETUNREACH:
      return "ENETUNREACH";
    default:
      return "other";
  }
}

const char* connect_outcome() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return outcome(fd, errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(1);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  int error = errno;
  ::close(fd);
  return rc == 0 ? "connected" : outcome(rc, error);
}

int cwd_entries() {
  DIR* dir = ::opendir(".");
  if (dir == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(dir))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++n;
  ::closedir(dir);
  return n;
}

const char* open_outcome(const char* path, int flags) {
  int fd = ::open(path, flags, 0666);
  int error = errno;
  if (fd >= 0) ::close(fd);
  return outcome(fd, error);
}

const char* leave_a_process() {
  const pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_NAME, "gale-leftover");
    ::sleep(60);
    ::_exit(0);
  }
  return outcome(child, errno);
}

__attribute__((constructor)) void attack() {
  const char* forked = leave_a_process();
  std::fprintf(stderr,
               "constructor ran: uid=%u pid=%d fork=%s connect=%s cwd=%d token=%d read=%s "
               "write=%s\n",
               ::getuid(), static_cast<int>(::getpid()), forked, connect_outcome(), cwd_entries(),
               std::getenv("GALE_TOKEN") != nullptr, open_outcome(GALE_CONSTRUCTOR_PROBE, O_RDONLY),
               open_outcome(GALE_CONSTRUCTOR_PROBE ".written", O_WRONLY | O_CREAT | O_TRUNC));
  std::fflush(stderr);
  ::_exit(3);
}

}  // namespace
