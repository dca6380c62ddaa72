#include "shim/cri/ids.h"

#include <sys/random.h>

#include <cerrno>

#include "shim/base/file_util.h"

namespace airlock {

Result<std::string> NewId() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("getrandom", errno);
    }
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

Result<uint64_t> ProcessStartTime(int pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat.ok()) return MakeError(ErrorCode::kNotFound, "process " + std::to_string(pid) + " is gone");
  // comm (field 2) may contain spaces and ')' — fields after it start past the last ')'.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return MakeError(ErrorCode::kInternal, "parse /proc/" + std::to_string(pid) + "/stat");
  size_t pos = close + 2;  // field 3 starts here
  for (int field = 3; field < 22; ++field) {
    pos = stat->find(' ', pos);
    if (pos == std::string::npos) return MakeError(ErrorCode::kInternal, "parse /proc/" + std::to_string(pid) + "/stat");
    ++pos;
  }
  // A zombie has exited; it only waits for its parent to reap it.
  if (close + 2 < stat->size() && (*stat)[close + 2] == 'Z')
    return MakeError(ErrorCode::kNotFound, "process " + std::to_string(pid) + " has exited");
  return std::strtoull(stat->c_str() + pos, nullptr, 10);
}

}  // namespace airlock
