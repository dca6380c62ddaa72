#include "cli/signal_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace airlock::cli {
namespace {

// The one piece of process-wide state here: a signal handler receives no context pointer,
// so the write end of the active pipe is published for it. -1 = no SignalPipe installed.
std::atomic<int> g_write_fd{-1};

void OnSignal(int signo) {
  int saved_errno = errno;  // the interrupted code may be about to read errno
  int fd = g_write_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    unsigned char byte = static_cast<unsigned char>(signo);
    // Non-blocking: a full pipe already holds enough wake-ups; dropping one is harmless.
    ssize_t n = write(fd, &byte, 1);
    (void)n;
  }
  errno = saved_errno;
}

}  // namespace

Result<std::unique_ptr<SignalPipe>> SignalPipe::Install(std::initializer_list<int> signals) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return ErrnoError("create signal pipe", errno);
  std::unique_ptr<SignalPipe> sp(new SignalPipe());
  sp->read_end_.reset(fds[0]);
  sp->write_end_.reset(fds[1]);
  int expected = -1;
  if (!g_write_fd.compare_exchange_strong(expected, sp->write_end_.get()))
    return MakeError(ErrorCode::kFailedPrecondition,
                     "install signal handlers: another SignalPipe is active");
  for (int signo : signals) {
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    // SA_RESTART: blocking writes to stdout resume after a SIGWINCH instead of failing.
    sa.sa_flags = SA_RESTART;
    struct sigaction old {};
    if (sigaction(signo, &sa, &old) != 0) return ErrnoError("install signal handler", errno);
    sp->previous_.emplace_back(signo, old);
  }
  return sp;
}

SignalPipe::~SignalPipe() {
  for (auto it = previous_.rbegin(); it != previous_.rend(); ++it)
    sigaction(it->first, &it->second, nullptr);
  int expected = write_end_.get();
  g_write_fd.compare_exchange_strong(expected, -1);
}

std::vector<int> SignalPipe::Drain() {
  std::vector<int> out;
  unsigned char buf[64];
  for (;;) {
    ssize_t n = read(read_end_.get(), buf, sizeof(buf));
    if (n <= 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

}  // namespace airlock::cli
