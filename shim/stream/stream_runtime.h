// ShimStreamRuntime: the shim's side of the streaming seam (streaming/runtime.h). The
// streaming server asks it to start a command, attach to a container or dial a port, and
// gets back file descriptors it pumps; everything container-specific happens here, with
// the exec engine (nsenter::Launch) that ExecSync uses too.
//
// Exec: pipes (ours non-blocking) for a non-tty exec; for a tty the process gets a PTY from
// the container's own devpts at the client's initial size, and the session reads and writes
// the master. Launch blocks until the process has exec'd; the server calls this on the
// session's own thread, so that is acceptable.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "shim/exec/exec_spec_cache.h"
#include "shim/stream/stream_targets.h"
#include "streaming/runtime.h"

namespace airlock {

class ShimStreamRuntime final : public streaming::Runtime {
 public:
  struct Options {
    // Streaming execs alive at once; more are refused (kResourceExhausted).
    int max_concurrent = 1024;
    // Bound on each connect attempt of a port-forward dial.
    std::chrono::milliseconds dial_timeout{10'000};
  };

  // `targets` outlives the runtime.
  explicit ShimStreamRuntime(StreamTargets& targets) : ShimStreamRuntime(targets, Options()) {}
  ShimStreamRuntime(StreamTargets& targets, Options options);

  Result<streaming::StartedProcess> Exec(
      const streaming::ExecRequest& request,
      std::optional<streaming::TerminalSize> initial_size) override;
  Result<streaming::StartedProcess> Attach(const streaming::AttachRequest& request) override;
  Result<UniqueFd> DialPort(const std::string& pod_sandbox_id, uint16_t port) override;

  int active_execs() const { return active_->load(); }

 private:
  StreamTargets& targets_;
  const Options options_;
  ExecSpecCache specs_;
  std::shared_ptr<std::atomic<int>> active_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace airlock
