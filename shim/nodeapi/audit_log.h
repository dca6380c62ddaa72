// AuditLog: one JSON line per node-API exec attempt, allowed or denied, appended to a file
// that rotates by size (path -> path.1 -> ... -> path.<keep>, the oldest dropped). Denied
// attempts are written at once; allowed ones when the session ends, so that the exit code,
// byte counts and duration are in the same line. Many sessions write at once: a mutex
// serialises the appends and the rotation, and each line goes out in one write(2) on an
// O_APPEND descriptor, so lines never interleave.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "shim/base/result.h"
#include "shim/base/unique_fd.h"

namespace airlock::nodeapi {

struct AuditRecord {
  int64_t wall_nanos = 0;  // when the attempt arrived
  std::string user;        // "" when authentication failed
  std::vector<std::string> groups;
  std::string auth;       // "token", "certificate" or "" (none)
  std::string source;     // client "ip:port"
  std::string transport;  // "spdy", "websocket", "h2"
  std::string path;
  std::string namespace_name;
  std::string pod;
  std::string container;
  std::string container_id;
  std::vector<std::string> command;
  bool tty = false;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  bool allowed = false;
  int http_status = 0;  // the refusal's status; 0 when allowed
  std::string reason;   // why allowed / denied
  // Session results (allowed attempts only).
  std::optional<int> exit_code;
  std::string error;
  std::string end_reason;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  int64_t duration_ms = 0;
  std::string recording;  // the asciicast file, "" when not recorded
  bool recording_truncated = false;
};

// RFC 3339 UTC with microseconds: "2023-11-14T22:13:20.000000Z".
std::string Rfc3339(int64_t wall_nanos);

// The record as one line of JSON (no newline). Bytes that are not UTF-8 (a command argument
// may be anything) become U+FFFD, so the line is always valid JSON.
std::string AuditJson(const AuditRecord& record);

class AuditLog {
 public:
  struct Options {
    std::string path;
    uint64_t max_bytes = 100 << 20;  // rotate before a line would make the file larger
    int keep = 5;                    // rotated files kept (path.1 .. path.<keep>); 0: none
  };
  // Creates the parent directory and opens the file (mode 0600: the log names users and
  // commands).
  static Result<std::unique_ptr<AuditLog>> Open(Options options);

  // Appends one line; rotates first when needed. Failures are returned and logged; the
  // caller does not refuse the session for them (the decision is already taken).
  Status Write(const AuditRecord& record);

 private:
  AuditLog(Options options, UniqueFd fd, uint64_t size);
  Status RotateLocked();

  const Options options_;
  std::mutex mu_;
  UniqueFd fd_;
  uint64_t size_ = 0;
};

}  // namespace airlock::nodeapi
