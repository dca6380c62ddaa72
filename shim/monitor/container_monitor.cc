#include "shim/monitor/container_monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "shim/monitor/exit_record.h"
#include "shim/monitor/fd_io.h"

namespace airlock::monitor {
namespace {

int64_t WallNanos() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t MonotonicMs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

ContainerMonitor::ContainerMonitor(const MonitorFlags& flags, int init_pid, ContainerIo io,
                                   LogFile* log, ControlSocket* control, UniqueFd signal_fd)
    : flags_(flags),
      init_pid_(init_pid),
      io_(std::move(io)),
      log_(log),
      control_(control),
      signal_fd_(std::move(signal_fd)),
      stdout_{LogStream::kStdout, UniqueFd(), CriLogSplitter(LogStream::kStdout, flags.tty)},
      stderr_{LogStream::kStderr, UniqueFd(), CriLogSplitter(LogStream::kStderr, flags.tty)} {
  if (flags.tty) {
    // A terminal merges both streams; CRI logs them as stdout. The master itself stays in
    // io_ for resize and attach stdin, the reader gets its own descriptor.
    stdout_.fd.reset(::fcntl(io_.pty_master.get(), F_DUPFD_CLOEXEC, 0));
  } else {
    stdout_.fd = std::move(io_.stdout_read);
    stderr_.fd = std::move(io_.stderr_read);
  }
  oom_counter_file_ = FindOomCounterFile(init_pid_);
  oom_kills_at_start_ = ReadOomKillCount(oom_counter_file_);
}

void ContainerMonitor::ReadOutput(Output* out) {
  static char buf[32 * 1024];
  ssize_t n = ::read(out->fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {  // EOF; a pty master reports EIO once the last slave is closed
    FinishOutput(out);
    return;
  }
  records_.clear();
  std::string_view data(buf, static_cast<size_t>(n));
  out->splitter.Feed(WallNanos(), data, &records_);
  log_->Write(records_);
  // After the log: the log gets every byte, attached clients what they keep up with.
  fanout_.Broadcast(out->stream, data);
}

void ContainerMonitor::FinishOutput(Output* out) {
  records_.clear();
  out->splitter.Finish(WallNanos(), &records_);
  log_->Write(records_);
  out->fd.reset();
  fanout_.EndStream(out->stream);
}

void ContainerMonitor::HandleSignals() {
  struct signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo != SIGCHLD && info.ssi_signo != SIGPIPE) {
      // airlockd stops containers through the runtime; the monitor must outlive the container
      // to record its exit, so a stray TERM/INT/HUP is only noted.
      LogMonitorError("ignoring signal " + std::to_string(info.ssi_signo) +
                      " until the container exits");
    }
  }
  // Signals coalesce, so reap everything: the init and anything reparented to us (subreaper).
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    if (pid == init_pid_ && !exited_) {
      exited_ = true;
      wait_status_ = status;
      finished_at_ns_ = WallNanos();
      drain_deadline_ms_ = MonotonicMs() + kDrainLimitMs;
    }
  }
}

ControlReply ContainerMonitor::HandleCommand(uint64_t connection, std::string_view command) {
  if (command == "reopen") {
    std::string error;
    if (!log_->Reopen(&error)) return {"error " + error, {}};
    return {"ok", {}};
  }
  if (command.substr(0, 7) == "resize ") return {Resize(command.substr(7)), {}};
  if (command == "attach" || command.substr(0, 7) == "attach ") {
    return Attach(connection, command.substr(std::min<size_t>(7, command.size())));
  }
  return {"error unknown command: " + std::string(command.substr(0, 64)), {}};
}

std::string ContainerMonitor::Resize(std::string_view command_args) {
  std::string args(command_args);
  char* end = nullptr;
  unsigned long rows = std::strtoul(args.c_str(), &end, 10);
  const char* second = end;
  unsigned long cols = std::strtoul(second, &end, 10);
  if (second == args.c_str() || end == second || *end != '\0' || rows > 0xffff || cols > 0xffff) {
    return "error resize: expected \"resize ROWS COLS\"";
  }
  if (!io_.pty_master) return "error resize: the container has no terminal";
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (::ioctl(io_.pty_master.get(), TIOCSWINSZ, &ws) != 0) {
    return std::string("error resize: ") + std::strerror(errno);
  }
  return "ok";
}

bool ContainerMonitor::StdinForAttach(UniqueFd* writer) {
  if (!flags_.stdin_open || stdin_once_used_) return true;
  const UniqueFd& source = flags_.tty ? io_.pty_master : io_.stdin_write;
  if (!source) return true;
  if (flags_.stdin_once) {
    stdin_once_used_ = true;
    // Handing over the only write end means the container reads EOF exactly when this
    // attach closes its stdin (client EOF or detach). A terminal has no such end: later
    // attaches just get no stdin.
    if (!flags_.tty) {
      *writer = std::move(io_.stdin_write);
      return true;
    }
  }
  writer->reset(::fcntl(source.get(), F_DUPFD_CLOEXEC, 0));
  return writer->valid();
}

ControlReply ContainerMonitor::Attach(uint64_t connection, std::string_view args) {
  bool want_stdin = false, want_stdout = false, want_stderr = false;
  while (!args.empty()) {
    size_t space = args.find(' ');
    std::string_view word = args.substr(0, space);
    args = space == std::string_view::npos ? std::string_view() : args.substr(space + 1);
    if (word.empty()) continue;
    if (word == "stdin") {
      want_stdin = true;
    } else if (word == "stdout") {
      want_stdout = true;
    } else if (word == "stderr") {
      want_stderr = true;
    } else {
      return {"error attach: unknown stream \"" + std::string(word.substr(0, 32)) + "\"", {}};
    }
  }
  if (fanout_.Has(connection)) return {"error attach: this connection is attached already", {}};
  if (flags_.tty) want_stderr = false;  // a terminal merges stderr into stdout
  UniqueFd out, err;
  std::string error;
  if (!fanout_.Add(connection, want_stdout, want_stderr, &out, &err, &error)) {
    return {"error " + error, {}};
  }
  ControlReply reply{"ok", {}};
  if (out) {
    reply.line += " stdout";
    reply.fds.push_back(std::move(out));
  }
  if (err) {
    reply.line += " stderr";
    reply.fds.push_back(std::move(err));
  }
  if (want_stdin) {
    UniqueFd in;
    if (!StdinForAttach(&in)) {
      fanout_.Remove(connection);
      return {std::string("error attach: duplicate stdin: ") + std::strerror(errno), {}};
    }
    if (in) {
      reply.line += " stdin";
      reply.fds.push_back(std::move(in));
    }
  }
  return reply;
}

bool ContainerMonitor::WriteExitFile() {
  long oom_kills = ReadOomKillCount(oom_counter_file_);
  long during_run =
      (oom_kills >= 0 && oom_kills_at_start_ >= 0) ? oom_kills - oom_kills_at_start_ : -1;
  ExitRecord record = ExitRecordFromWaitStatus(wait_status_, finished_at_ns_, during_run);
  std::string path = flags_.state_dir + "/exit";
  if (!WriteFileAtomically(path, FormatExitJson(record), 0644)) {
    LogMonitorError("write exit file " + path + ": " + std::strerror(errno));
    return false;
  }
  return true;
}

bool ContainerMonitor::Run() {
  std::vector<struct pollfd> fds;
  const ControlSocket::Handlers handlers = {
      [this](uint64_t id, std::string_view c) { return HandleCommand(id, c); },
      // Detach: the client's output sockets close; the container runs on.
      [this](uint64_t id) { fanout_.Remove(id); },
  };
  for (;;) {
    if (exited_ && ((!stdout_.fd && !stderr_.fd) || MonotonicMs() >= drain_deadline_ms_)) break;
    fds.clear();
    fds.push_back({signal_fd_.get(), POLLIN, 0});
    if (stdout_.fd) fds.push_back({stdout_.fd.get(), POLLIN, 0});
    if (stderr_.fd) fds.push_back({stderr_.fd.get(), POLLIN, 0});
    size_t fanout_begin = fds.size();
    fanout_.AppendPollFds(&fds);
    size_t control_begin = fds.size();
    control_->AppendPollFds(&fds);
    int timeout = -1;
    if (exited_)
      timeout = static_cast<int>(std::max<int64_t>(0, drain_deadline_ms_ - MonotonicMs()));
    int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      LogMonitorError(std::string("poll: ") + std::strerror(errno));
      ::sleep(1);  // should not happen; do not spin
      continue;
    }
    for (size_t i = 0; i < fanout_begin; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == signal_fd_.get()) {
        HandleSignals();
      } else if (stdout_.fd && fds[i].fd == stdout_.fd.get()) {
        ReadOutput(&stdout_);
      } else if (stderr_.fd && fds[i].fd == stderr_.fd.get()) {
        ReadOutput(&stderr_);
      }
    }
    // Output reads may only close client sockets, never open new ones, so the descriptors
    // polled above still name the same sockets; attach (below) opens new ones.
    fanout_.HandlePollFds(fds.data() + fanout_begin, control_begin - fanout_begin);
    control_->HandlePollFds(fds.data() + control_begin, fds.size() - control_begin, handlers);
  }
  // Whatever is still open is held by a leaked writer; its unterminated tail is flushed as is.
  if (stdout_.fd) FinishOutput(&stdout_);
  if (stderr_.fd) FinishOutput(&stderr_);
  bool wrote = WriteExitFile();
  // The record first, so that a slow client cannot delay what airlockd waits for.
  fanout_.Flush(kAttachFlushMs);
  return wrote;
}

}  // namespace airlock::monitor
