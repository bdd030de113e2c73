// A shared library whose only content is a constructor, as an attacker would upload. When it is
// loaded it writes what it could see and do to GALE_CONSTRUCTOR_MARKER (a path in /tmp, fixed
// at build time, so that it needs nothing from its environment and can be written by the
// unprivileged user inspect runs it as):
//
//   uid=<uid> connect=<errno name of a TCP connect to 127.0.0.1:1> cwd=<entries> token=<0|1>
//
// (connect: ECONNREFUSED where the loopback exists, ENETUNREACH in an empty network namespace;
// cwd: how many entries its working folder holds; token: whether GALE_TOKEN was in its
// environment). The security tests check that it never runs for an unauthenticated upload,
// and what the sandbox leaves it when it does run.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

const char* connect_outcome() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "no-socket";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(1);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  int error = errno;
  ::close(fd);
  if (rc == 0) return "connected";
  if (error == ECONNREFUSED) return "ECONNREFUSED";
  if (error == ENETUNREACH) return "ENETUNREACH";
  return "other";
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

__attribute__((constructor)) void leave_a_marker() {
  char line[256];
  int n = std::snprintf(line, sizeof line, "uid=%u connect=%s cwd=%d token=%d\n", ::getuid(),
                        connect_outcome(), cwd_entries(), std::getenv("GALE_TOKEN") != nullptr);
  int fd = ::open(GALE_CONSTRUCTOR_MARKER, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) return;
  [[maybe_unused]] ssize_t written = ::write(fd, line, static_cast<std::size_t>(n));
  ::close(fd);
}

}  // namespace
