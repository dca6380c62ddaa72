// airlock-monitor: owns one container's stdio on the host side so that the container, its log
// and its exit code survive an airlockd restart. Protocol: README.md in this folder.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "shim/base/unique_fd.h"
#include "shim/monitor/container_monitor.h"
#include "shim/monitor/control_socket.h"
#include "shim/monitor/fd_io.h"
#include "shim/monitor/json_text.h"
#include "shim/monitor/log_file.h"
#include "shim/monitor/monitor_flags.h"
#include "shim/monitor/runtime_create.h"

namespace airlock::monitor {
namespace {

// Exactly one line on the sync fd, then it is closed: airlockd reads until EOF.
void Report(UniqueFd* sync_fd, int init_pid, const std::string& error) {
  if (!*sync_fd) {
    if (!error.empty()) LogMonitorError(error);
    return;
  }
  std::string line;
  if (error.empty()) {
    line = "{\"pid\":" + std::to_string(init_pid) + "}\n";
  } else {
    line = "{\"error\":";
    AppendJsonString(error, &line);
    line += "}\n";
  }
  WriteAll(sync_fd->get(), line);
  sync_fd->reset();
}

// monitor.pid holds our pid under an exclusive flock for our whole life: airlockd tells a live
// monitor from a dead one (or a recycled pid) by trying the lock.
bool ClaimPidFile(const std::string& path, UniqueFd* fd, std::string* error) {
  fd->reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!*fd) {
    *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    *error = "lock " + path + ": another monitor owns this state directory";
    return false;
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd->get(), 0) != 0 || !WriteAll(fd->get(), pid)) {
    *error = "write " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

int RunMonitor(const MonitorFlags& flags, UniqueFd sync_fd) {
  // Blocked before any child exists so that no SIGCHLD is lost; the signalfd delivers them.
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2}) {
    sigaddset(&mask, sig);
  }
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  UniqueFd signal_fd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd) {
    Report(&sync_fd, -1, std::string("create signalfd: ") + std::strerror(errno));
    return 1;
  }
  std::string error;
  UniqueFd pid_lock;
  if (!ClaimPidFile(flags.state_dir + "/monitor.pid", &pid_lock, &error)) {
    Report(&sync_fd, -1, error);
    return 1;
  }
  ::unlink((flags.state_dir + "/exit").c_str());  // left by an earlier run of this container
  LogFile log;
  ControlSocket control;
  if (!log.Open(flags.log_path, &error) || !control.Listen(flags.state_dir + "/ctl", &error)) {
    Report(&sync_fd, -1, error);
    return 1;
  }
  CreateOutcome created = CreateContainer(flags);
  if (!created.ok) {
    control.Close();
    Report(&sync_fd, -1, created.error);
    return 1;
  }
  ContainerMonitor monitor(flags, created.init_pid, std::move(created.io), &log, &control,
                           std::move(signal_fd));
  // Reported only now: the control socket is up, so a resize may follow at once.
  Report(&sync_fd, created.init_pid, "");
  bool wrote_exit = monitor.Run();
  control.Close();
  return wrote_exit ? 0 : 1;
}

}  // namespace
}  // namespace airlock::monitor

int main(int argc, char** argv) {
  using airlock::UniqueFd;
  using namespace airlock::monitor;
  MonitorFlags flags;
  std::string error;
  bool parsed = ParseMonitorFlags(argc, argv, &flags, &error);
  if (parsed && flags.help) {
    WriteAll(STDOUT_FILENO, MonitorUsage());
    return 0;
  }
  // Whatever the launcher leaked must not live on for the container's lifetime (and must not
  // keep a pipe of airlockd's open).
  if (flags.sync_fd >= 3) {
    if (flags.sync_fd > 3) ::syscall(SYS_close_range, 3U, flags.sync_fd - 1U, 0U);
    ::syscall(SYS_close_range, flags.sync_fd + 1U, ~0U, 0U);
  } else {
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
  }
  UniqueFd sync_fd;
  if (flags.sync_fd >= 0) {
    if (::fcntl(flags.sync_fd, F_SETFD, FD_CLOEXEC) == 0) sync_fd.reset(flags.sync_fd);
  }
  if (!parsed) {
    WriteAll(STDERR_FILENO, "airlock-monitor: " + error + "\n" + MonitorUsage());
    Report(&sync_fd, -1, error);
    return 2;
  }
  // Detach: the launcher reaps this first process at once; the grandchild of the launcher
  // lives on in its own session, so airlockd owns no child for the container's lifetime.
  pid_t child = ::fork();
  if (child < 0) {
    Report(&sync_fd, -1, std::string("fork monitor: ") + std::strerror(errno));
    return 1;
  }
  if (child > 0) return 0;
  ::setsid();
  // Once `<runtime> create` exits, the container init is reparented to us, so we can wait for
  // it and read its exit status.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    Report(&sync_fd, -1, std::string("become child subreaper: ") + std::strerror(errno));
    return 1;
  }
  if (::chdir("/") != 0) {
    Report(&sync_fd, -1, std::string("chdir /: ") + std::strerror(errno));
    return 1;
  }
  return RunMonitor(flags, std::move(sync_fd));
}
