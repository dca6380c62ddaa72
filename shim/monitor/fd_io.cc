#include "shim/monitor/fd_io.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "shim/base/unique_fd.h"
#include "shim/monitor/cri_log.h"

namespace airlock::monitor {

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool ReadSmallFile(const std::string& path, size_t max_bytes, std::string* out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return false;
  out->clear();
  char buf[4096];
  while (out->size() < max_bytes) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  if (out->size() > max_bytes) out->resize(max_bytes);
  return true;
}

bool WriteFileAtomically(const std::string& path, std::string_view data, int mode) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return false;
  if (!WriteAll(fd.get(), data) || ::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    return false;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    return false;
  }
  return true;
}

void LogMonitorError(std::string_view message) {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::string line =
      FormatRfc3339NanoUtc(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
  line.append(" airlock-monitor: ");
  line.append(message);
  line.push_back('\n');
  WriteAll(STDERR_FILENO, line);
}

}  // namespace airlock::monitor
