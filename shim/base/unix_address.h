// Unix socket addresses for filesystem paths of any length. sun_path holds 108 bytes, and
// deep state directories (tests, a custom --state) exceed it; a long path is then reached
// through an O_PATH descriptor of its directory, "/proc/<pid>/fd/<n>/<name>", which
// resolves to the same file for bind() and connect(). Header-only: the static monitor uses it.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "shim/base/unique_fd.h"

namespace airlock {

struct UnixPath {
  std::string path;  // short enough for sun_path
  UniqueFd dir;      // keeps the directory descriptor alive while `path` is in use
};

// `proc_pid` names the process whose descriptor table resolves the path: "self" for our own
// use, or our pid in decimal when another process (runc's --console-socket) connects to it.
// Returns false with errno set on failure.
inline bool ShortUnixPath(const std::string& path, UnixPath* out,
                          const std::string& proc_pid = "self") {
  constexpr size_t kMax = sizeof(sockaddr_un::sun_path) - 1;
  out->dir.reset();
  out->path = path;
  if (path.size() <= kMax) return true;
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) {
    errno = ENAMETOOLONG;
    return false;
  }
  out->dir.reset(::open(path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!out->dir) return false;
  out->path = "/proc/" + proc_pid + "/fd/" + std::to_string(out->dir.get()) + path.substr(slash);
  if (out->path.size() > kMax) {
    errno = ENAMETOOLONG;
    return false;
  }
  return true;
}

inline sockaddr_un UnixAddress(const UnixPath& p) {
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, p.path.c_str(), p.path.size());
  return addr;
}

}  // namespace airlock
