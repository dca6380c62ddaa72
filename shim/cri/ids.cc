#include "shim/cri/ids.h"

#include <sys/random.h>

#include <cerrno>

#include "nsenter/container_target.h"
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
  if (!stat.ok())
    return MakeError(ErrorCode::kNotFound, "process " + std::to_string(pid) + " is gone");
  auto parsed = nsenter::ParseProcStat(*stat);
  if (!parsed.ok()) return parsed.error();
  // A zombie has exited; it only waits for its parent to reap it.
  if (parsed->state == 'Z')
    return MakeError(ErrorCode::kNotFound, "process " + std::to_string(pid) + " has exited");
  return parsed->start_time;
}

}  // namespace airlock
