#include "shim/stream/port_dialer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "nsenter/container_target.h"
#include "shim/base/file_util.h"

namespace airlock {
namespace {

// Pins the infra process: the pidfd refers to one process forever; the start time read
// after opening it proves that process is the one the record names.
Result<UniqueFd> PinInfra(const SandboxNetworkTarget& t) {
  const std::string what = "pod sandbox " + t.sandbox_id;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, t.infra_pid, 0)));
  if (!pidfd)
    return ErrnoError("pin the infra process of " + what, errno, ErrorCode::kFailedPrecondition);
  auto stat = ReadFile("/proc/" + std::to_string(t.infra_pid) + "/stat", 4096);
  if (!stat.ok()) return stat.error().Wrap("pin the infra process of " + what);
  auto parsed = nsenter::ParseProcStat(*stat);
  if (!parsed.ok()) return parsed.error().Wrap("pin the infra process of " + what);
  if (parsed->start_time != t.start_time || parsed->state == 'Z' || parsed->state == 'X')
    return MakeError(ErrorCode::kFailedPrecondition,
                     "pin the infra process of " + what + ": it has exited (the pod is not ready)");
  return pidfd;
}

// One non-blocking connect, bounded by `timeout` (a firewall in the pod may drop the SYN).
Result<UniqueFd> ConnectOnce(int family, uint16_t port, std::chrono::milliseconds timeout,
                             std::string* label) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *sin;
    *label = "127.0.0.1:" + std::to_string(port);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_addr = in6addr_loopback;
    len = sizeof *sin6;
    *label = "[::1]:" + std::to_string(port);
  }
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return ErrnoError("create socket for " + *label, errno);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0) return fd;
  if (errno != EINPROGRESS) return ErrnoError("connect " + *label, errno, ErrorCode::kUnavailable);
  pollfd p{fd.get(), POLLOUT, 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError("poll connect " + *label, errno);
  if (n == 0)
    return MakeError(ErrorCode::kUnavailable, "connect " + *label + ": timed out after " +
                                                  std::to_string(timeout.count()) + " ms");
  int err = 0;
  socklen_t err_len = sizeof err;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0)
    return ErrnoError("connect " + *label, errno, ErrorCode::kUnavailable);
  if (err != 0) return ErrnoError("connect " + *label, err, ErrorCode::kUnavailable);
  return fd;
}

}  // namespace

Result<UniqueFd> DialPodPort(const SandboxNetworkTarget& target, uint16_t port,
                             std::chrono::milliseconds timeout) {
  const std::string what =
      "dial port " + std::to_string(port) + " in pod sandbox " + target.sandbox_id;
  if (port == 0) return MakeError(ErrorCode::kInvalidArgument, what + ": port 0 is not a port");
  auto pidfd = PinInfra(target);
  if (!pidfd.ok()) return pidfd.error();

  Result<UniqueFd> result = MakeError(ErrorCode::kInternal, what + ": the dial thread did not run");
  // The thread ends right after the dial, so its namespace dies with it; nothing on it may
  // outlive the join except the socket.
  std::thread dialer([&] {
    if (::setns(pidfd->get(), CLONE_NEWNET) != 0) {
      result = ErrnoError(what + ": join the network namespace", errno);
      return;
    }
    std::string errors;
    for (int family : {AF_INET, AF_INET6}) {
      std::string label;
      auto fd = ConnectOnce(family, port, timeout, &label);
      if (fd.ok()) {
        result = std::move(*fd);
        return;
      }
      if (!errors.empty()) errors += "; ";
      errors += fd.error().message;
    }
    result = MakeError(ErrorCode::kUnavailable, what + ": " + errors);
  });
  dialer.join();
  return result;
}

}  // namespace airlock
