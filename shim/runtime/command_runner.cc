#include "shim/runtime/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "shim/base/unique_fd.h"

namespace airlock {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Owns a spawned child until it is reaped: killed and reaped on every early return.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  int Wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

std::string Describe(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

}  // namespace

Result<std::string> FindExecutable(const std::string& name) {
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "find executable: empty name");
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0)
      return ErrnoError("find executable " + name, errno, ErrorCode::kNotFound);
    return name;
  }
  const char* path = std::getenv("PATH");
  std::string dirs =
      path != nullptr ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return MakeError(ErrorCode::kNotFound, "find executable " + name + ": not in PATH");
}

char* const* ChildEnvironment() {
  static const std::string path = [] {
    const char* p = std::getenv("PATH");
    return std::string("PATH=") +
           (p && *p ? p : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }();
  static char* env[] = {const_cast<char*>(path.c_str()), nullptr};
  return env;
}

Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout, size_t max_output) {
  if (argv.empty()) return MakeError(ErrorCode::kInvalidArgument, "run command: empty argv");
  const std::string what = "run " + Describe(argv);
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return ErrnoError(what, errno);
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return ErrnoError(what, errno);
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), STDERR_FILENO);
  // Belt and braces: a descriptor some library opened without O_CLOEXEC stays home.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attr, cargv.data(), ChildEnvironment());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0)
    return ErrnoError(what, err, err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal);
  ChildProcess child(pid);
  out_w.reset();
  err_w.reset();
  // Raw syscall: glibc 2.36's <sys/pidfd.h> lacks C++ linkage.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return ErrnoError("open pidfd for " + what, errno);

  CommandOutput result;
  const auto deadline = SteadyClock::now() + timeout;
  // Once the child is gone, a grandchild that kept a pipe open must not hold us for long.
  auto drain_deadline = SteadyClock::time_point::max();
  bool exited = false;
  while (out_r || err_r || !exited) {
    auto now = SteadyClock::now();
    if (now >= deadline) {
      return MakeError(
          ErrorCode::kDeadlineExceeded,
          what + ": timed out after " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
              " ms");
    }
    if (exited && now >= drain_deadline) break;
    auto until = std::min(deadline, drain_deadline);
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1);
    struct pollfd fds[3];
    nfds_t n = 0;
    if (!exited) fds[n++] = {pidfd.get(), POLLIN, 0};
    if (out_r) fds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r) fds[n++] = {err_r.get(), POLLIN, 0};
    int r = ::poll(fds, n, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("poll " + what, errno);
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == pidfd.get()) {
        exited = true;
        drain_deadline = SteadyClock::now() + std::chrono::seconds(1);
        continue;
      }
      UniqueFd& fd = fds[i].fd == out_r.get() ? out_r : err_r;
      std::string& sink = fds[i].fd == out_r.get() ? result.out : result.err;
      char buf[16384];
      ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fd.reset();
        continue;
      }
      size_t keep =
          std::min(static_cast<size_t>(got), max_output - std::min(max_output, sink.size()));
      sink.append(buf, keep);
    }
  }
  int status = child.Wait();
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace airlock
