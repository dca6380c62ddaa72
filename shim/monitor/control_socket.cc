#include "shim/monitor/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
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

void ControlSocket::HandlePollFds(const struct pollfd* fds, size_t count, const Handler& handler) {
  bool accept = false;
  for (size_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    if (fds[i].fd == listen_.get()) {
      accept = true;
      continue;
    }
    for (size_t k = 0; k < connections_.size(); ++k) {
      if (connections_[k].fd.get() != fds[i].fd) continue;
      if (!Serve(&connections_[k], handler)) connections_.erase(connections_.begin() + k);
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
    connections_.push_back(Connection{std::move(fd), {}});
  }
}

bool ControlSocket::Serve(Connection* c, const Handler& handler) {
  char buf[1024];
  ssize_t n = ::recv(c->fd.get(), buf, sizeof buf, 0);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (n == 0) return false;
  c->buffer.append(buf, static_cast<size_t>(n));
  size_t nl;
  while ((nl = c->buffer.find('\n')) != std::string::npos) {
    std::string command = c->buffer.substr(0, nl);
    c->buffer.erase(0, nl + 1);
    std::string reply = handler(command) + "\n";
    // Replies are tiny; a client that does not read them is dropped rather than waited for.
    if (::send(c->fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(reply.size())) {
      return false;
    }
  }
  return c->buffer.size() <= kMaxLine;
}

}  // namespace airlock::monitor
