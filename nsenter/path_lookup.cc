#include "nsenter/path_lookup.h"

#include <signal.h>

namespace airlock::nsenter {

std::string PathFromEnv(const std::vector<std::string>& env) {
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    if (it->rfind("PATH=", 0) == 0) return it->substr(5);
  }
  return std::string(kDefaultPath);
}

std::vector<std::string> LookupCandidates(std::string_view argv0, std::string_view path) {
  if (argv0.find('/') != std::string_view::npos) return {std::string(argv0)};
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t colon = path.find(':', start);
    std::string_view dir = path.substr(start, colon - start);
    if (dir.empty()) dir = ".";
    std::string candidate(dir);
    if (candidate.back() != '/') candidate += '/';
    candidate += argv0;
    out.push_back(std::move(candidate));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  return out;
}

int ExitCodeFromSiginfo(int code, int status) {
  if (code == CLD_EXITED) return status;
  if (code == CLD_KILLED || code == CLD_DUMPED) return 128 + status;
  return -1;  // stopped/continued: not an exit
}

const char* ExecErrnoText(int err) {
  switch (err) {
    case ENOENT:
      return "no such file or directory";
    case EACCES:
      return "permission denied";
    case ENOEXEC:
      return "exec format error";
    case EISDIR:
      return "is a directory";
    case ENOTDIR:
      return "not a directory";
    case ELOOP:
      return "too many levels of symbolic links";
    case E2BIG:
      return "argument list too long";
    case ENAMETOOLONG:
      return "file name too long";
    case ETXTBSY:
      return "text file busy";
    case ENOMEM:
      return "cannot allocate memory";
    case EPERM:
      return "operation not permitted";
    default:
      return "exec failed";
  }
}

}  // namespace airlock::nsenter
