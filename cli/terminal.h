// The local terminal of an interactive exec (-t): raw mode for the session's lifetime and
// the window size for the resize stream.
#pragma once

#include <termios.h>

#include "shim/base/result.h"
#include "streaming/runtime.h"

namespace airlock::cli {

// Puts a terminal in raw mode (no echo, no line editing, no local signals: ^C and ^Z go to
// the remote shell) and restores the saved settings when it goes out of scope, so every
// return path — command exit, transport error, a signal turned into an event by
// SignalPipe — leaves the user's terminal as it was. Move-only; a moved-from object
// restores nothing.
class RawTerminal {
 public:
  static Result<RawTerminal> Enter(int fd);
  RawTerminal(RawTerminal&& other) noexcept;
  RawTerminal& operator=(RawTerminal&&) = delete;
  RawTerminal(const RawTerminal&) = delete;
  ~RawTerminal();

  // Restores now (idempotent); the destructor then does nothing.
  void Restore();

 private:
  RawTerminal(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
  int fd_;  // borrowed: the caller's stdin, which outlives the session
  termios saved_;
};

// The window size of the terminal on `fd` (TIOCGWINSZ).
Result<streaming::TerminalSize> GetTerminalSize(int fd);

}  // namespace airlock::cli
