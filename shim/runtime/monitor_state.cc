// The parts of OciRuntime that talk to a container's monitor through its state directory
// (exit file, monitor.pid lock, ctl socket). Static: they need no runtime binary, so airlockd
// can use them after a restart before it has read its config.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "shim/base/file_util.h"
#include "shim/base/unix_address.h"
#include "shim/base/unique_fd.h"
#include "shim/runtime/oci_runtime.h"

namespace airlock {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Sends one command line on <state_dir>/ctl and returns the reply line.
Result<std::string> ControlCommand(const std::string& state_dir, const std::string& command) {
  const std::string path = state_dir + "/ctl";
  const std::string op = "send \"" + command + "\" to monitor " + path;
  UnixPath short_path;
  if (!ShortUnixPath(path, &short_path)) return ErrnoError(op, errno);
  struct sockaddr_un addr = UnixAddress(short_path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoError(op, errno);
  // The monitor answers from a single-threaded loop; it should never take long.
  struct timeval tv = {10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    // No socket or nobody listening: the monitor (and so the container) is gone.
    bool gone = err == ENOENT || err == ECONNREFUSED;
    return ErrnoError(op, err, gone ? ErrorCode::kNotFound : ErrorCode::kUnavailable);
  }
  std::string line = command + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(line.size())) {
    return ErrnoError(op, errno, ErrorCode::kUnavailable);
  }
  std::string reply;
  char buf[512];
  while (reply.find('\n') == std::string::npos && reply.size() < 4096) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(op, errno, ErrorCode::kUnavailable);
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  size_t nl = reply.find('\n');
  if (nl == std::string::npos) {
    return MakeError(ErrorCode::kUnavailable,
                     op + ": monitor closed the connection without a reply");
  }
  return reply.substr(0, nl);
}

Status ExpectOk(const std::string& state_dir, const std::string& command) {
  Result<std::string> reply = ControlCommand(state_dir, command);
  if (!reply.ok()) return reply.error();
  if (*reply == "ok") return Status::Ok();
  std::string text = reply->rfind("error ", 0) == 0 ? reply->substr(6) : *reply;
  return MakeError(ErrorCode::kInternal, command + " via monitor " + state_dir + ": " + text);
}

}  // namespace

Result<ContainerExit> OciRuntime::ReadExit(const std::string& state_dir) {
  const std::string path = state_dir + "/exit";
  Result<std::string> text = ReadFile(path, 64 << 10);
  if (!text.ok()) return text.error();  // kNotFound while the container runs
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("exit_code") || !j["exit_code"].is_number_integer()) {
    return MakeError(ErrorCode::kInternal, "parse exit file " + path + ": not an exit record");
  }
  ContainerExit exit;
  exit.exit_code = j["exit_code"].get<int>();
  if (j.contains("finished_at") && j["finished_at"].is_number_integer()) {
    exit.finished_at_ns = j["finished_at"].get<int64_t>();
  }
  if (j.contains("reason") && j["reason"].is_string()) exit.reason = j["reason"].get<std::string>();
  if (j.contains("signal") && j["signal"].is_number_integer()) exit.signal = j["signal"].get<int>();
  return exit;
}

bool OciRuntime::MonitorAlive(const std::string& state_dir) {
  UniqueFd fd(::open((state_dir + "/monitor.pid").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return false;
  // The monitor holds LOCK_EX for its whole life; the lock dies with it, even as a zombie,
  // and a recycled pid cannot fake it.
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;
  return errno == EWOULDBLOCK;
}

Result<ContainerExit> OciRuntime::WaitExit(const std::string& state_dir,
                                           std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  // The exit file appears by rename(2) into the state dir: IN_MOVED_TO wakes us at once.
  UniqueFd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (inotify) ::inotify_add_watch(inotify.get(), state_dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE);
  for (;;) {
    Result<ContainerExit> exit = ReadExit(state_dir);
    if (exit.ok() || exit.error().code != ErrorCode::kNotFound) return exit;
    if (!MonitorAlive(state_dir)) {
      // It may have written the file between the two checks.
      exit = ReadExit(state_dir);
      if (exit.ok() || exit.error().code != ErrorCode::kNotFound) return exit;
      return MakeError(ErrorCode::kUnavailable, "wait for exit of " + state_dir +
                                                    ": monitor is gone without an exit record");
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      return MakeError(ErrorCode::kDeadlineExceeded,
                       "wait for exit of " + state_dir + ": still running");
    }
    // Wake at least every 200 ms: a monitor killed outside our control sends no inotify event.
    int wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 200));
    if (inotify) {
      struct pollfd p = {inotify.get(), POLLIN, 0};
      if (::poll(&p, 1, wait_ms) > 0) {
        char buf[4096];
        while (::read(inotify.get(), buf, sizeof buf) > 0) {
        }
      }
    } else {
      ::usleep(static_cast<useconds_t>(wait_ms) * 1000);
    }
  }
}

Status OciRuntime::ReopenLog(const std::string& state_dir) { return ExpectOk(state_dir, "reopen"); }

Status OciRuntime::Resize(const std::string& state_dir, unsigned rows, unsigned cols) {
  return ExpectOk(state_dir, "resize " + std::to_string(rows) + " " + std::to_string(cols));
}

}  // namespace airlock
