#include "cli/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace airlock::cli {

Result<RawTerminal> RawTerminal::Enter(int fd) {
  termios saved{};
  if (tcgetattr(fd, &saved) != 0) return ErrnoError("read terminal settings", errno);
  termios raw = saved;
  cfmakeraw(&raw);
  // TCSADRAIN: output already written (a prompt) still goes out with the old settings.
  if (tcsetattr(fd, TCSADRAIN, &raw) != 0) return ErrnoError("set terminal raw mode", errno);
  return RawTerminal(fd, saved);
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_) {}

RawTerminal::~RawTerminal() { Restore(); }

void RawTerminal::Restore() {
  if (fd_ < 0) return;
  // Retry on EINTR: a signal arriving now must not leave the terminal raw.
  while (tcsetattr(fd_, TCSADRAIN, &saved_) != 0 && errno == EINTR) {
  }
  fd_ = -1;
}

Result<streaming::TerminalSize> GetTerminalSize(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return ErrnoError("read terminal size", errno);
  return streaming::TerminalSize{ws.ws_col, ws.ws_row};
}

}  // namespace airlock::cli
