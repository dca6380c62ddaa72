// SessionAudit: the SessionObserver of one allowed node-API session. It holds the audit
// record begun at authorization, feeds a tty session's output to an asciicast recording
// (when enabled), and writes the audit line when the session ends — so the line carries the
// exit code, byte counts, duration and whether the recording was cut at its cap. A session
// the server dropped without OnEnd is still audited, from the destructor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shim/base/clock.h"
#include "shim/nodeapi/asciicast_recorder.h"
#include "shim/nodeapi/audit_log.h"
#include "streaming/node_api.h"

namespace airlock::nodeapi {

struct RecordingOptions {
  bool enabled = false;  // tty sessions only; off by default (issue #6)
  std::string dir;       // one file per session, created 0600
  uint64_t max_bytes = 10 << 20;
};

class SessionAudit final : public streaming::SessionObserver {
 public:
  SessionAudit(AuditRecord record, std::shared_ptr<AuditLog> audit, RecordingOptions recording,
               const Clock& clock);
  ~SessionAudit() override;

  void OnStart(std::optional<streaming::TerminalSize> size) override;
  void OnOutput(std::string_view bytes) override;
  void OnResize(streaming::TerminalSize size) override;
  void OnEnd(const streaming::SessionReport& report) override;

  // The recording's file name for a session: "<dir>/<UTC time>-<ns>_<pod>_<container>-<rand>.cast",
  // names reduced to [A-Za-z0-9._-] so that no path can be smuggled in.
  static std::string RecordingPath(const std::string& dir, const AuditRecord& record,
                                   const std::string& random_suffix);

 private:
  AuditRecord record_;
  std::shared_ptr<AuditLog> audit_;  // null: not audited (tests)
  const RecordingOptions recording_;
  const Clock& clock_;
  std::unique_ptr<AsciicastRecorder> recorder_;
  bool ended_ = false;
};

}  // namespace airlock::nodeapi
