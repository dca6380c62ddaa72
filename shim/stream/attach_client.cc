#include "shim/stream/attach_client.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "shim/base/unique_fd.h"
#include "shim/base/unix_address.h"

namespace airlock {
namespace {

// The monitor answers from a single-threaded loop that never blocks; seconds mean it hangs.
constexpr int kReplyTimeoutSeconds = 5;
// The monitor sends at most this many descriptors with one reply.
constexpr size_t kMaxFds = 4;

// One reply line and the descriptors that arrived with its bytes.
struct Reply {
  std::string line;
  std::vector<UniqueFd> fds;
};

void TakeFds(struct msghdr* msg, std::vector<UniqueFd>* fds) {
  for (struct cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds->emplace_back(fd);
    }
  }
}

// Reads one reply line. The monitor sends exactly one reply per command and nothing unasked,
// so no read can take bytes of a later reply.
Result<Reply> ReadReply(int fd, const std::string& op) {
  Reply reply;
  char buf[256];
  while (reply.line.find('\n') == std::string::npos) {
    if (reply.line.size() > 4096) {
      return MakeError(ErrorCode::kUnavailable, op + ": reply line too long");
    }
    struct iovec iov = {buf, sizeof buf};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(op, errno, ErrorCode::kUnavailable);
    TakeFds(&msg, &reply.fds);
    if (msg.msg_flags & MSG_CTRUNC) {
      return MakeError(ErrorCode::kInternal, op + ": too many descriptors in the reply");
    }
    if (n == 0) {
      return MakeError(ErrorCode::kUnavailable,
                       op + ": monitor closed the connection without a reply");
    }
    reply.line.append(buf, static_cast<size_t>(n));
  }
  reply.line.resize(reply.line.find('\n'));
  return reply;
}

Status SendLine(int fd, const std::string& line, const std::string& op) {
  std::string data = line + "\n";
  ssize_t n;
  do {
    n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(data.size())) return ErrnoError(op, errno, ErrorCode::kUnavailable);
  return Status::Ok();
}

Status SetNonBlocking(const UniqueFd& fd, const std::string& op) {
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return ErrnoError(op + ": set non-blocking", errno);
  }
  return Status::Ok();
}

// An attachment as the streaming session sees it. Holds the control connection: the monitor
// keeps feeding the output sockets while it is open and detaches when it closes.
class MonitorAttachment final : public streaming::StreamProcess {
 public:
  MonitorAttachment(UniqueFd control, std::string monitor_dir, bool tty)
      : control_(std::move(control)), monitor_dir_(std::move(monitor_dir)), tty_(tty) {}

  int exit_fd() const override { return -1; }
  std::optional<int> ExitCode() override { return std::nullopt; }

  void Resize(streaming::TerminalSize size) override {
    // Peers ignore sizes below 1x1 (a terminal that is not laid out yet).
    if (!tty_ || !control_ || size.width < 1 || size.height < 1) return;
    const std::string op = "resize container terminal via monitor " + monitor_dir_;
    const std::string command =
        "resize " + std::to_string(size.height) + " " + std::to_string(size.width);
    Status sent = SendLine(control_.get(), command, op);
    Result<Reply> reply = sent.ok() ? ReadReply(control_.get(), op) : Result<Reply>(sent.error());
    if (!reply.ok()) {
      // The lifeline is broken (monitor gone); the output sockets end on their own.
      spdlog::warn("attach resize failed: {}", reply.error().message);
      control_.reset();
      return;
    }
    if (reply->line != "ok") spdlog::warn("attach resize failed: {}: {}", op, reply->line);
  }

  // Detaching is the session's end; the container must keep running.
  void Hangup() override {}
  void Kill() override {}

 private:
  UniqueFd control_;
  const std::string monitor_dir_;
  const bool tty_;
};

Result<UniqueFd> ConnectControl(const std::string& path, const std::string& op) {
  UnixPath short_path;
  if (!ShortUnixPath(path, &short_path)) return ErrnoError(op, errno);
  struct sockaddr_un addr = UnixAddress(short_path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoError(op, errno);
  struct timeval tv = {kReplyTimeoutSeconds, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    // No socket or nobody listening: the monitor, and so the container, is gone.
    bool gone = err == ENOENT || err == ECONNREFUSED;
    return ErrnoError(op, err, gone ? ErrorCode::kNotFound : ErrorCode::kUnavailable);
  }
  return fd;
}

}  // namespace

Result<streaming::StartedProcess> AttachToContainer(const std::string& monitor_dir, bool tty,
                                                    bool stdin, bool stdout, bool stderr) {
  const std::string path = monitor_dir + "/ctl";
  const std::string op = "attach via monitor " + path;
  Result<UniqueFd> control = ConnectControl(path, op);
  if (!control.ok()) return control.error();

  std::string command = "attach";
  if (stdin) command += " stdin";
  if (stdout) command += " stdout";
  if (stderr && !tty) command += " stderr";  // a terminal merges stderr into stdout
  AIRLOCK_RETURN_IF_ERROR(SendLine(control->get(), command, op));
  Result<Reply> reply = ReadReply(control->get(), op);
  if (!reply.ok()) return reply.error();
  if (reply->line.rfind("error ", 0) == 0) {
    return MakeError(ErrorCode::kInternal, op + ": " + reply->line.substr(6));
  }

  // "ok" then the names of the descriptors, in the order they came.
  std::istringstream words(reply->line);
  std::string word;
  words >> word;
  if (word != "ok") {
    return MakeError(ErrorCode::kInternal, op + ": unexpected reply \"" + reply->line + "\"");
  }
  streaming::StartedProcess started;
  size_t next = 0;
  while (words >> word) {
    if (next >= reply->fds.size()) {
      return MakeError(ErrorCode::kInternal, op + ": reply names more streams than it carries");
    }
    UniqueFd* slot = word == "stdin"    ? &started.stdio.stdin
                     : word == "stdout" ? &started.stdio.stdout
                     : word == "stderr" ? &started.stdio.stderr
                                        : nullptr;
    if (slot == nullptr || *slot) {
      return MakeError(ErrorCode::kInternal, op + ": unexpected stream \"" + word + "\"");
    }
    *slot = std::move(reply->fds[next++]);
    AIRLOCK_RETURN_IF_ERROR(SetNonBlocking(*slot, op));
  }
  if (next != reply->fds.size()) {
    return MakeError(ErrorCode::kInternal, op + ": reply carries unnamed descriptors");
  }
  started.process = std::make_unique<MonitorAttachment>(std::move(*control), monitor_dir, tty);
  return started;
}

}  // namespace airlock
