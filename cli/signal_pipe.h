// SignalPipe: turns asynchronous signals into bytes on a pipe the exec session polls (the
// self-pipe trick), so SIGWINCH becomes a resize event and SIGINT/SIGTERM/SIGHUP end the
// session through its normal return path, which restores the terminal. A handler may run
// on any thread (gRPC's included); all it does is write(2) the signal number.
#pragma once

#include <csignal>
#include <initializer_list>
#include <memory>
#include <vector>

#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::cli {

class SignalPipe {
 public:
  // Installs handlers for `signals` (remembering the previous dispositions). At most one
  // SignalPipe exists at a time: a signal handler has no object to write to other than a
  // process-wide fd.
  static Result<std::unique_ptr<SignalPipe>> Install(std::initializer_list<int> signals);
  ~SignalPipe();  // puts the previous dispositions back, then closes the pipe
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  // Readable (POLLIN) when a signal arrived.
  int fd() const { return read_end_.get(); }
  // The signals received since the last call, in arrival order.
  std::vector<int> Drain();

 private:
  SignalPipe() = default;
  UniqueFd read_end_;
  UniqueFd write_end_;
  std::vector<std::pair<int, struct sigaction>> previous_;
};

}  // namespace airlock::cli
