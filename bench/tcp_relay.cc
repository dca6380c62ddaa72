// The ceiling of any streaming server on this machine: stdin (a pipe from the command) is
// relayed to a TCP loopback connection whose far end, a child process, reads and discards.
// No protocol, no framing, no poll loop — what a streaming server that did nothing but move
// bytes would cost. bench/stream_bench.py runs it next to airlock's transports.
//
//   tcp_relay [copy|splice] < pipe      prints the bytes the reader saw on stdout
//
// copy: read(2) into a 256 KiB buffer, send(2) it (what airlockd does, minus framing).
// splice: splice(2) pipe → socket, no user-space copy (the zero-copy upper bound).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "tcp_relay: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= size_t(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "copy";
  if (mode != "copy" && mode != "splice") {
    std::fprintf(stderr, "usage: tcp_relay [copy|splice] < pipe\n");
    return 2;
  }
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("bind");
  if (::listen(listener, 1) != 0) Die("listen");
  if (::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) Die("getsockname");

  int report[2];
  if (::pipe(report) != 0) Die("pipe");
  pid_t reader = ::fork();
  if (reader < 0) Die("fork");
  if (reader == 0) {  // the client: read everything, count it, report the count
    ::close(report[0]);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(1);
    std::vector<char> buf(256 * 1024);
    unsigned long long total = 0;
    for (;;) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      total += size_t(n);
    }
    std::string line = std::to_string(total) + "\n";
    (void)!::write(report[1], line.data(), line.size());
    _exit(0);
  }
  ::close(report[1]);
  int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) Die("accept");
  ::close(listener);
  // The same pipe size airlockd asks for on its output pipes.
  (void)::fcntl(STDIN_FILENO, F_SETPIPE_SZ, 1 << 20);

  if (mode == "copy") {
    std::vector<char> buf(256 * 1024);
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Die("read");
      if (n == 0) break;
      if (!SendAll(conn, buf.data(), size_t(n))) Die("send");
    }
  } else {
    for (;;) {
      ssize_t n = ::splice(STDIN_FILENO, nullptr, conn, nullptr, 1 << 20, SPLICE_F_MOVE | SPLICE_F_MORE);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Die("splice (stdin must be a pipe)");
      if (n == 0) break;
    }
  }
  ::close(conn);
  char line[64] = {};
  ssize_t got = ::read(report[0], line, sizeof line - 1);
  int status = 0;
  ::waitpid(reader, &status, 0);
  if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "tcp_relay: the reader failed\n");
    return 1;
  }
  std::fputs(line, stdout);
  return 0;
}
