#include "shim/monitor/runtime_create.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "shim/base/unix_address.h"
#include "shim/monitor/fd_io.h"
#include "shim/monitor/json_text.h"

namespace airlock::monitor {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

int64_t MonotonicMs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

bool ReceivePtyMaster(int listen_fd, UniqueFd* master, std::string* error) {
  UniqueFd conn(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) {
    *error = Errno("accept console socket connection");
    return false;
  }
  // The runtime sends the pty name as data and the master as SCM_RIGHTS in the same message.
  char name[256];
  struct iovec iov = {name, sizeof name};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct timeval tv = {5, 0};  // the runtime sends right after connecting
  ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t n;
  do {
    n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    *error = Errno("receive pty master on console socket");
    return false;
  }
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      master->reset(fd);
      return true;
    }
  }
  *error = "receive pty master on console socket: message carried no descriptor";
  return false;
}

// Waits for `pid` to exit until the deadline and kills it there; meanwhile accepts the pty
// master when a console socket is given. Returns the wait status, or -1 when it was killed.
int WaitWithDeadline(int pid, int64_t deadline_ms, int console_listen_fd, UniqueFd* pty_master,
                     std::string* console_error) {
  // Raw syscall: glibc 2.36's <sys/pidfd.h> lacks C++ linkage.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  for (;;) {
    int status = 0;
    int r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      // The message may still sit in the accept queue after the runtime exited.
      if (console_listen_fd >= 0 && !*pty_master) {
        struct pollfd p = {console_listen_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) == 1) ReceivePtyMaster(console_listen_fd, pty_master, console_error);
      }
      return status;
    }
    int64_t left = deadline_ms - MonotonicMs();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1;
    }
    struct pollfd fds[2];
    nfds_t n = 0;
    // Without a pidfd (old kernel) fall back to polling the child every 10 ms.
    if (pidfd) fds[n++] = {pidfd.get(), POLLIN, 0};
    if (console_listen_fd >= 0 && !*pty_master) fds[n++] = {console_listen_fd, POLLIN, 0};
    int timeout = pidfd ? static_cast<int>(left) : 10;
    if (::poll(fds, n, timeout) > 0) {
      for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].fd == console_listen_fd && (fds[i].revents & POLLIN)) {
          ReceivePtyMaster(console_listen_fd, pty_master, console_error);
        }
      }
    }
  }
}

bool MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return true;
}

std::string DrainNonBlocking(int fd, size_t max_bytes) {
  std::string out;
  if (fd < 0) return out;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  char buf[4096];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// "<runtime> [--root R]": the runtime picks its default root when none is given.
std::vector<const char*> RuntimeGlobalArgs(const MonitorFlags& flags) {
  std::vector<const char*> argv = {flags.runtime.c_str()};
  if (!flags.runtime_root.empty()) argv.insert(argv.end(), {"--root", flags.runtime_root.c_str()});
  return argv;
}

}  // namespace

int SpawnWithStdio(const char* const* argv, int stdin_fd, int stdout_fd, int stderr_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  const int targets[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
  const int sources[3] = {stdin_fd, stdout_fd, stderr_fd};
  for (int i = 0; i < 3; ++i) {
    if (sources[i] >= 0) {
      posix_spawn_file_actions_adddup2(&actions, sources[i], targets[i]);
    } else {
      posix_spawn_file_actions_addopen(&actions, targets[i], "/dev/null",
                                       i == 0 ? O_RDONLY : O_WRONLY, 0);
    }
  }
  // Nothing of the monitor's (ctl socket, log file, sync fd) may reach the runtime or, through
  // it, the container.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  // The monitor blocks signals for its signalfd and ignores none; the runtime and the container
  // must start from the defaults.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, argv[0], &actions, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    errno = err;
    return -1;
  }
  return pid;
}

void ForceDeleteContainer(const MonitorFlags& flags) {
  std::vector<const char*> argv = RuntimeGlobalArgs(flags);
  if (flags.systemd_cgroup) argv.push_back("--systemd-cgroup");
  argv.insert(argv.end(), {"delete", "--force", flags.id.c_str(), nullptr});
  int pid = SpawnWithStdio(argv.data(), -1, -1, STDERR_FILENO);
  if (pid < 0) {
    LogMonitorError(Errno("spawn " + flags.runtime + " delete --force " + flags.id));
    return;
  }
  UniqueFd none;
  std::string ignored;
  WaitWithDeadline(pid, MonotonicMs() + flags.runtime_timeout_s * 1000LL, -1, &none, &ignored);
}

CreateOutcome CreateContainer(const MonitorFlags& flags) {
  CreateOutcome out;
  const std::string pid_file = flags.state_dir + "/pid";
  const std::string runtime_log = flags.state_dir + "/create.log";
  const std::string console_path = flags.state_dir + "/console.sock";
  ::unlink(pid_file.c_str());
  ::unlink(runtime_log.c_str());

  // stdio handed to the runtime (and, for non-tty, inherited by the container init).
  UniqueFd child_stdin, child_stdout, child_stderr;
  UniqueFd console_listen;
  UnixPath console_short;
  if (flags.tty) {
    // The runtime's own stderr still carries its error text; the container gets the pty.
    if (!MakePipe(&out.io.stderr_read, &child_stderr)) {
      out.error = Errno("create runtime stderr pipe");
      return out;
    }
    // The runtime connects to this path itself, so a long one goes through our pid's fd table.
    if (!ShortUnixPath(console_path, &console_short, std::to_string(::getpid()))) {
      out.error = Errno("bind console socket " + console_path);
      return out;
    }
    struct sockaddr_un addr = UnixAddress(console_short);
    ::unlink(console_path.c_str());
    console_listen.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    mode_t old_umask = ::umask(0077);  // the socket file is 0600 from birth
    bool bound =
        console_listen &&
        ::bind(console_listen.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::listen(console_listen.get(), 1) == 0;
    ::umask(old_umask);
    if (!bound) {
      out.error = Errno("listen on console socket " + console_path);
      return out;
    }
  } else {
    if (!MakePipe(&out.io.stdout_read, &child_stdout) ||
        !MakePipe(&out.io.stderr_read, &child_stderr)) {
      out.error = Errno("create container stdio pipes");
      return out;
    }
    if (flags.stdin_open && !MakePipe(&child_stdin, &out.io.stdin_write)) {
      out.error = Errno("create container stdin pipe");
      return out;
    }
  }

  std::vector<const char*> argv = RuntimeGlobalArgs(flags);
  argv.insert(argv.end(), {"--log", runtime_log.c_str(), "--log-format", "json"});
  if (flags.systemd_cgroup) argv.push_back("--systemd-cgroup");
  argv.insert(argv.end(),
              {"create", "--bundle", flags.bundle.c_str(), "--pid-file", pid_file.c_str()});
  if (flags.tty) argv.insert(argv.end(), {"--console-socket", console_short.path.c_str()});
  argv.insert(argv.end(), {flags.id.c_str(), nullptr});

  int pid = SpawnWithStdio(argv.data(), child_stdin.get(), child_stdout.get(), child_stderr.get());
  if (pid < 0) {
    out.error = Errno("spawn " + flags.runtime);
    return out;
  }
  // Only the runtime (and then the container) may hold the write ends, so that EOF on our read
  // ends means the container side is gone.
  child_stdin.reset();
  child_stdout.reset();
  child_stderr.reset();

  std::string console_error;
  int status = WaitWithDeadline(pid, MonotonicMs() + flags.runtime_timeout_s * 1000LL,
                                console_listen.get(), &out.io.pty_master, &console_error);
  if (console_listen) {
    console_listen.reset();
    ::unlink(console_path.c_str());
  }
  if (status == -1) {
    out.error = "timed out after " + std::to_string(flags.runtime_timeout_s) + "s";
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string log_text;
    ReadSmallFile(runtime_log, 64 << 10, &log_text);
    out.error = ExtractRuntimeErrors(log_text);
    if (out.error.empty()) out.error = Trim(DrainNonBlocking(out.io.stderr_read.get(), 8192));
    if (out.error.empty()) {
      out.error = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                    : "killed by signal " + std::to_string(WTERMSIG(status));
    }
  } else if (flags.tty && !out.io.pty_master) {
    out.error =
        console_error.empty() ? "no pty master received on the console socket" : console_error;
  } else {
    std::string text;
    if (!ReadSmallFile(pid_file, 64, &text)) {
      out.error = Errno("read pid file " + pid_file);
    } else {
      out.init_pid = std::atoi(text.c_str());
      if (out.init_pid <= 0)
        out.error = "read pid file " + pid_file + ": no pid in \"" + text + "\"";
    }
  }
  if (!out.error.empty()) {
    ForceDeleteContainer(flags);
    return out;
  }
  if (flags.tty) out.io.stderr_read.reset();  // runtime-only pipe; the pty carries everything
  out.ok = true;
  return out;
}

}  // namespace airlock::monitor
