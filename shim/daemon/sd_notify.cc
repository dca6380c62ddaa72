#include "shim/daemon/sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "shim/base/unique_fd.h"

namespace airlock {

SdNotifier SdNotifier::FromEnvironment() {
  const char* value = ::getenv("NOTIFY_SOCKET");
  std::string socket = value ? value : "";
  ::unsetenv("NOTIFY_SOCKET");
  return SdNotifier(std::move(socket));
}

Status SdNotifier::Notify(std::string_view state) const {
  if (socket_.empty()) return Status::Ok();
  // systemd also accepts vsock: addresses (for VMs); airlockd only runs on the host itself.
  if (socket_[0] != '/' && socket_[0] != '@')
    return MakeError(
        ErrorCode::kInvalidArgument,
        "notify " + socket_ + ": NOTIFY_SOCKET is neither a path nor an abstract name");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // A path needs its terminating NUL inside sun_path; an abstract name does not.
  if (socket_.size() >= sizeof addr.sun_path)
    return MakeError(ErrorCode::kInvalidArgument, "notify " + socket_ + ": socket name too long");
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  socklen_t len = offsetof(sockaddr_un, sun_path) + socket_.size();
  if (socket_[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract namespace: the length, not a NUL, ends the name
  } else {
    len += 1;
  }

  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoError("create a socket to notify " + socket_, errno);
  ssize_t sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const sockaddr*>(&addr), len);
  if (sent < 0) return ErrnoError("notify " + socket_, errno, ErrorCode::kUnavailable);
  if (static_cast<size_t>(sent) != state.size())
    return MakeError(ErrorCode::kInternal, "notify " + socket_ + ": short datagram");
  return Status::Ok();
}

}  // namespace airlock
