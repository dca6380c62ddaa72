#include "cli/exec_session.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "cli/exec_status.h"
#include "cli/terminal.h"

namespace airlock::cli {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Local stdin stays unread while this much is waiting for the server's flow-control window.
constexpr size_t kMaxStdinBacklog = 256 * 1024;

// Writes all of `bytes` to a local fd that may be non-blocking (a terminal shared with a
// parent that set O_NONBLOCK): waits for POLLOUT instead of spinning.
Status WriteAll(int fd, std::string_view bytes, const char* what) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    return ErrnoError(std::string("write ") + what, n < 0 ? errno : EIO);
  }
  return Status::Ok();
}

// Output events straight to the local fds. Writing synchronously is the backpressure: while
// the terminal is slow the loop does not read the socket, so the server's window closes.
class LocalOutput : public ExecProtocolEvents {
 public:
  explicit LocalOutput(const ExecSessionIo& io) : io_(io) {}
  void OnStdout(std::string_view bytes) override { Write(io_.stdout_fd, bytes, "stdout"); }
  void OnStderr(std::string_view bytes) override { Write(io_.stderr_fd, bytes, "stderr"); }
  std::optional<Error> failure;

 private:
  void Write(int fd, std::string_view bytes, const char* what) {
    if (failure) return;
    if (Status s = WriteAll(fd, bytes, what); !s.ok()) failure = s.error();
  }
  const ExecSessionIo& io_;
};

Error ConnectionLost(const ExecProtocol& protocol, const std::string& why) {
  return MakeError(ErrorCode::kUnavailable,
                   std::string("exec over ") + protocol.name() + ": " + why);
}

}  // namespace

Result<ExecOutcome> RunExecSession(UniqueFd socket, ExecProtocol& protocol, const ExecSessionIo& io,
                                   SignalPipe* signals) {
  int flags = fcntl(socket.get(), F_GETFL);
  if (flags < 0 || fcntl(socket.get(), F_SETFL, flags | O_NONBLOCK) != 0)
    return ErrnoError("set streaming socket non-blocking", errno);
  AIRLOCK_RETURN_IF_ERROR(protocol.Start());

  LocalOutput output(io);
  bool stdin_open = io.stdin_fd >= 0;
  std::optional<TerminalSize> last_size;
  if (io.tty_fd >= 0) {
    if (auto size = GetTerminalSize(io.tty_fd); size.ok()) last_size = *size;
  }
  std::string buf(kReadChunk, '\0');

  while (!protocol.Finished()) {
    pollfd fds[3];
    nfds_t n = 0;
    const nfds_t sock_i = n++;
    fds[sock_i] = {socket.get(), POLLIN, 0};
    if (!protocol.PendingOutput().empty()) fds[sock_i].events |= POLLOUT;
    nfds_t stdin_i = 0, signal_i = 0;
    if (stdin_open && protocol.Ready() && protocol.StdinBacklog() < kMaxStdinBacklog) {
      stdin_i = n++;
      fds[stdin_i] = {io.stdin_fd, POLLIN, 0};
    }
    if (signals != nullptr) {
      signal_i = n++;
      fds[signal_i] = {signals->fd(), POLLIN, 0};
    }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("poll streaming session", errno);
    }

    if (signal_i != 0 && (fds[signal_i].revents & POLLIN) != 0) {
      for (int signo : signals->Drain()) {
        if (signo != SIGWINCH) return ExecOutcome{128 + signo, signo};
        if (io.tty_fd < 0) continue;
        auto size = GetTerminalSize(io.tty_fd);
        if (!size.ok() || size->width == 0 || size->height == 0 || size.value() == last_size)
          continue;
        last_size = *size;
        AIRLOCK_RETURN_IF_ERROR(protocol.SendResize(*size));
      }
    }

    if ((fds[sock_i].revents & POLLOUT) != 0) {
      std::string_view out = protocol.PendingOutput();
      ssize_t sent = send(socket.get(), out.data(), out.size(), MSG_NOSIGNAL);
      if (sent > 0) {
        protocol.ConsumeOutput(static_cast<size_t>(sent));
      } else if (sent < 0 && errno != EAGAIN && errno != EINTR) {
        if (errno == ECONNRESET || errno == EPIPE)
          return ConnectionLost(protocol,
                                "the streaming server closed the connection before the command "
                                "finished (connection reset)");
        return ConnectionLost(protocol, std::string("send: ") + strerror(errno));
      }
    }

    if ((fds[sock_i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t got = recv(socket.get(), buf.data(), buf.size(), 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got < 0 && errno == ECONNRESET)
        return ConnectionLost(protocol,
                              "the streaming server closed the connection before the command "
                              "finished (connection reset)");
      if (got < 0) return ConnectionLost(protocol, std::string("receive: ") + strerror(errno));
      if (got == 0) {
        if (protocol.Finished()) break;
        return ConnectionLost(protocol,
                              "the streaming server closed the connection before the command "
                              "finished");
      }
      Status fed = protocol.Feed(std::string_view(buf.data(), static_cast<size_t>(got)), output);
      if (output.failure) return *output.failure;
      if (!fed.ok()) return fed.error();
    }

    if (stdin_i != 0 && (fds[stdin_i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t got = read(io.stdin_fd, buf.data(), buf.size());
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got > 0) {
        AIRLOCK_RETURN_IF_ERROR(
            protocol.SendStdin(std::string_view(buf.data(), static_cast<size_t>(got))));
      } else {
        // EOF, or a read error (the terminal went away): either way no more input.
        stdin_open = false;
        AIRLOCK_RETURN_IF_ERROR(protocol.CloseStdin());
      }
    }
  }

  Result<int> code = ExitCodeFromStatus(protocol.StatusPayload());
  if (!code.ok()) return code.error();
  return ExecOutcome{*code, 0};
}

}  // namespace airlock::cli
