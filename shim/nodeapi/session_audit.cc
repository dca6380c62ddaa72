#include "shim/nodeapi/session_audit.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdint>
#include <span>

#include "shim/base/file_util.h"
#include "streaming/request_cache.h"

namespace airlock::nodeapi {
namespace {

std::string SafeName(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out.substr(0, 63);
}

std::string RandomSuffix() {
  std::array<uint8_t, 6> bytes{};
  if (!streaming::GetRandomBytes(std::span<uint8_t>(bytes)).ok()) {
    // O_EXCL still refuses to reuse a file; a clash only loses this recording.
    return "000000000000";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

SessionAudit::SessionAudit(AuditRecord record, std::shared_ptr<AuditLog> audit,
                           RecordingOptions recording, const Clock& clock)
    : record_(std::move(record)),
      audit_(std::move(audit)),
      recording_(std::move(recording)),
      clock_(clock) {}

SessionAudit::~SessionAudit() {
  if (!ended_) {
    streaming::SessionReport report;
    report.end_reason = "session dropped without an end report";
    OnEnd(report);
  }
}

std::string SessionAudit::RecordingPath(const std::string& dir, const AuditRecord& record,
                                        const std::string& random_suffix) {
  // "2023-11-14T22:13:20.000000Z" -> "20231114T221320Z"
  std::string stamp;
  for (char c : Rfc3339(record.wall_nanos).substr(0, 19)) {
    if (c != '-' && c != ':') stamp.push_back(c);
  }
  return dir + "/" + stamp + "Z-" + SafeName(record.namespace_name) + "_" + SafeName(record.pod) +
         "_" + SafeName(record.container) + "-" + random_suffix + ".cast";
}

void SessionAudit::OnStart(std::optional<streaming::TerminalSize> size) {
  if (!recording_.enabled || !record_.tty || recorder_ || ended_) return;
  if (Status made = MakeDirs(recording_.dir, 0700); !made.ok()) {
    spdlog::warn("nodeapi: session not recorded: {}", made.error().message);
    return;
  }
  AsciicastRecorder::Options options;
  options.path = RecordingPath(recording_.dir, record_, RandomSuffix());
  options.max_bytes = recording_.max_bytes;
  if (size && size->width > 0 && size->height > 0) {
    options.width = size->width;
    options.height = size->height;
  }
  options.command = Join(record_.command);
  options.title = "exec " + record_.namespace_name + "/" + record_.pod + "/" + record_.container +
                  " by " + record_.user;
  auto recorder = AsciicastRecorder::Create(std::move(options), clock_);
  if (!recorder.ok()) {
    spdlog::warn("nodeapi: session not recorded: {}", recorder.error().message);
    return;
  }
  recorder_ = std::move(*recorder);
  record_.recording = recorder_->path();
}

void SessionAudit::OnOutput(std::string_view bytes) {
  if (recorder_) recorder_->Output(bytes);
}

void SessionAudit::OnResize(streaming::TerminalSize size) {
  if (recorder_) recorder_->Resize(size.width, size.height);
}

void SessionAudit::OnEnd(const streaming::SessionReport& report) {
  if (ended_) return;
  ended_ = true;
  if (recorder_) {
    recorder_->Finish();
    record_.recording_truncated = recorder_->truncated();
  }
  record_.exit_code = report.exit_code;
  record_.error = report.error;
  record_.end_reason = report.end_reason;
  record_.bytes_in = report.bytes_in;
  record_.bytes_out = report.bytes_out;
  record_.duration_ms = report.duration.count();
  if (audit_) (void)audit_->Write(record_);  // a failed write is logged by the audit log
}

}  // namespace airlock::nodeapi
