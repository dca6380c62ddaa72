#include "shim/nodeapi/audit_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "shim/base/file_util.h"

namespace airlock::nodeapi {
namespace {

Result<UniqueFd> OpenAppend(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoError("open audit log " + path, errno);
  return fd;
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write audit log " + path, errno);
    done += size_t(n);
  }
  return Status::Ok();
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string Rfc3339(int64_t wall_nanos) {
  const time_t seconds = static_cast<time_t>(wall_nanos / 1'000'000'000);
  const long micros = static_cast<long>((wall_nanos % 1'000'000'000) / 1000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  return buf;
}

std::string AuditJson(const AuditRecord& r) {
  nlohmann::ordered_json j;
  j["time"] = Rfc3339(r.wall_nanos);
  j["decision"] = r.allowed ? "allow" : "deny";
  if (!r.allowed) j["http_status"] = r.http_status;
  j["reason"] = r.reason;
  j["user"] = r.user;
  j["groups"] = r.groups;
  j["auth"] = r.auth;
  j["source"] = r.source;
  j["transport"] = r.transport;
  j["path"] = r.path;
  j["namespace"] = r.namespace_name;
  j["pod"] = r.pod;
  j["container"] = r.container;
  j["container_id"] = r.container_id;
  j["command"] = r.command;
  j["tty"] = r.tty;
  j["stdin"] = r.stdin;
  j["stdout"] = r.stdout;
  j["stderr"] = r.stderr;
  if (r.exit_code) {
    j["exit_code"] = *r.exit_code;
  } else {
    j["exit_code"] = nullptr;
  }
  j["error"] = r.error;
  j["end_reason"] = r.end_reason;
  j["bytes_in"] = r.bytes_in;
  j["bytes_out"] = r.bytes_out;
  j["duration_ms"] = r.duration_ms;
  if (!r.recording.empty()) {
    j["recording"] = r.recording;
    j["recording_truncated"] = r.recording_truncated;
  }
  // `replace`: invalid UTF-8 becomes U+FFFD instead of an exception (the default handler
  // throws type_error 316), so no input can break the line or escape this function.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

AuditLog::AuditLog(Options options, UniqueFd fd, uint64_t size)
    : options_(std::move(options)), fd_(std::move(fd)), size_(size) {}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(Options options) {
  if (options.path.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "open audit log: no path configured");
  }
  AIRLOCK_RETURN_IF_ERROR(MakeDirs(ParentDir(options.path), 0750));
  auto fd = OpenAppend(options.path);
  if (!fd.ok()) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return ErrnoError("stat audit log " + options.path, errno);
  return std::unique_ptr<AuditLog>(
      new AuditLog(std::move(options), std::move(*fd), uint64_t(st.st_size)));
}

Status AuditLog::RotateLocked() {
  const std::string& path = options_.path;
  fd_.reset();
  if (options_.keep <= 0) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError("remove audit log " + path, errno);
    }
  } else {
    // Oldest first, so that no file is overwritten before it has moved on.
    for (int i = options_.keep - 1; i >= 1; --i) {
      const std::string from = path + "." + std::to_string(i);
      const std::string to = path + "." + std::to_string(i + 1);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        return ErrnoError("rotate audit log " + from, errno);
      }
    }
    if (::rename(path.c_str(), (path + ".1").c_str()) != 0 && errno != ENOENT) {
      return ErrnoError("rotate audit log " + path, errno);
    }
  }
  auto fd = OpenAppend(path);
  if (!fd.ok()) return fd.error();
  fd_ = std::move(*fd);
  size_ = 0;
  return Status::Ok();
}

Status AuditLog::Write(const AuditRecord& record) {
  const std::string line = AuditJson(record) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (!fd_.valid() || (size_ > 0 && size_ + line.size() > options_.max_bytes)) {
    Status rotated = RotateLocked();
    if (!rotated.ok()) {
      spdlog::error("nodeapi: {}", rotated.error().message);
      if (!fd_.valid()) {  // the old file is gone from under us: try to keep logging at all
        auto fd = OpenAppend(options_.path);
        if (!fd.ok()) return rotated;
        fd_ = std::move(*fd);
      }
    }
  }
  Status written = WriteAll(fd_.get(), line, options_.path);
  if (!written.ok()) {
    spdlog::error("nodeapi: {} (lost audit line: {})", written.error().message, line);
    return written;
  }
  size_ += line.size();
  return Status::Ok();
}

}  // namespace airlock::nodeapi
