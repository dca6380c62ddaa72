// Resolving argv[0] the way a shell does, split into a host part that allocates (building
// the candidate list from the container's PATH) and a child part that only probes with
// stat(2) — the child runs it inside the container's mount namespace after fork.
// Also the exit-code conventions of the engine.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::nsenter {

// Used when the container's env has no PATH (the runc/Docker default).
inline constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The value of PATH in `env` ("KEY=value" list), or kDefaultPath.
std::string PathFromEnv(const std::vector<std::string>& env);

// argv0 with a '/' is used as is; otherwise "<dir>/<argv0>" for every PATH entry in order
// (an empty entry means the current directory, as POSIX says).
std::vector<std::string> LookupCandidates(std::string_view argv0, std::string_view path);

// Child side: the first candidate that is a regular file with an execute bit wins (Go's
// exec.LookPath rule). Returns its index, or -1 with *err = EACCES when some candidate exists
// but none is executable (shell: 126), ENOENT when none exists (127).
// `probe` is stat(2)-like; templated so the child does no allocation and tests can fake it.
template <typename Probe>
int PickExecutable(const char* const* candidates, int count, bool explicit_path, Probe probe,
                   int* err) {
  bool saw_non_executable = false;
  for (int i = 0; i < count; ++i) {
    struct stat st {};
    if (probe(candidates[i], &st) != 0) continue;
    if (explicit_path) return i;  // let execve report EACCES/ENOEXEC for an explicit path
    if (S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0) return i;
    saw_non_executable = true;
  }
  *err = saw_non_executable ? EACCES : ENOENT;
  if (explicit_path && count == 1) *err = ENOENT;
  return -1;
}

// Exit code for an exec that failed with `err`: 127 "not found" (ENOENT, ENOTDIR, ELOOP,
// ENAMETOOLONG), 126 "found but cannot be executed" (EACCES, ENOEXEC, EISDIR, E2BIG, ...).
constexpr int ExitCodeForExecErrno(int err) {
  return (err == ENOENT || err == ENOTDIR || err == ELOOP || err == ENAMETOOLONG) ? 127 : 126;
}

// waitid(2) siginfo -> shell-style exit code: exited -> status, killed/dumped -> 128+signo.
int ExitCodeFromSiginfo(int code, int status);

// Short, fixed text for the child's stderr (strerror is not async-signal-safe).
const char* ExecErrnoText(int err);

}  // namespace airlock::nsenter
