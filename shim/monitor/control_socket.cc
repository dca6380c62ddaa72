#include "shim/monitor/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "shim/base/unix_address.h"

namespace airlock::monitor {

bool ControlSocket::Listen(const std::string& path, std::string* error) {
  UnixPath short_path;
  if (!ShortUnixPath(path, &short_path)) {
    *error = "bind control socket " + path + ": " + std::strerror(errno);
    return false;
  }
  struct sockaddr_un addr = UnixAddress(short_path);
  ::unlink(path.c_str());  // a stale socket of an earlier monitor for the same state dir
  listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listen_) {
    *error = std::string("create control socket: ") + std::strerror(errno);
    return false;
  }
  mode_t old_umask = ::umask(0077);  // 0600 from the moment the path exists
  int rc = ::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::umask(old_umask);
  if (rc != 0 || ::listen(listen_.get(), 8) != 0) {
    *error = "listen on control socket " + path + ": " + std::strerror(rc != 0 ? err : errno);
    listen_.reset();
    return false;
  }
  path_ = path;
  return true;
}

void ControlSocket::Close() {
  connections_.clear();
  listen_.reset();
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
}

void ControlSocket::AppendPollFds(std::vector<struct pollfd>* fds) const {
  if (!listen_) return;
  fds->push_back({listen_.get(), POLLIN, 0});
  for (const Connection& c : connections_) fds->push_back({c.fd.get(), POLLIN, 0});
}

void ControlSocket::HandlePollFds(const struct pollfd* fds, size_t count,
                                  const Handlers& handlers) {
  bool accept = false;
  for (size_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    if (fds[i].fd == listen_.get()) {
      accept = true;
      continue;
    }
    for (size_t k = 0; k < connections_.size(); ++k) {
      if (connections_[k].fd.get() != fds[i].fd) continue;
      if (!Serve(&connections_[k], handlers)) {
        uint64_t id = connections_[k].id;
        connections_.erase(connections_.begin() + static_cast<std::ptrdiff_t>(k));
        if (handlers.closed) handlers.closed(id);
      }
      break;
    }
  }
  if (accept) Accept();
}

void ControlSocket::Accept() {
  for (;;) {
    UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;  // EAGAIN: queue drained
    if (connections_.size() >= kMaxConnections) {
      static constexpr char kBusy[] = "error too many control connections\n";
      ::send(fd.get(), kBusy, sizeof kBusy - 1, MSG_NOSIGNAL);
      continue;
    }
    connections_.push_back(Connection{next_id_++, std::move(fd), {}});
  }
}

bool ControlSocket::Serve(Connection* c, const Handlers& handlers) {
  char buf[1024];
  ssize_t n = ::recv(c->fd.get(), buf, sizeof buf, 0);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (n == 0) return false;
  c->buffer.append(buf, static_cast<size_t>(n));
  size_t nl;
  while ((nl = c->buffer.find('\n')) != std::string::npos) {
    std::string command = c->buffer.substr(0, nl);
    c->buffer.erase(0, nl + 1);
    // Replies are tiny; a client that does not read them is dropped rather than waited for.
    if (!SendReply(c->fd.get(), handlers.command(c->id, command))) return false;
  }
  return c->buffer.size() <= kMaxLine;
}

bool SendReply(int fd, const ControlReply& reply) {
  std::string line = reply.line + "\n";
  struct iovec iov = {line.data(), line.size()};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * ControlSocket::kMaxReplyFds)];
  size_t nfds = reply.fds.size();
  if (nfds > ControlSocket::kMaxReplyFds) return false;
  if (nfds > 0) {
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    for (size_t i = 0; i < nfds; ++i) {
      int raw = reply.fds[i].get();
      std::memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &raw, sizeof raw);
    }
  }
  ssize_t sent;
  do {
    sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(line.size());
}

}  // namespace airlock::monitor
