#include "shim/monitor/log_file.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "shim/monitor/fd_io.h"

namespace airlock::monitor {
namespace {

int OpenForAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
}

}  // namespace

bool LogFile::Open(const std::string& path, std::string* error) {
  UniqueFd fd(OpenForAppend(path));
  if (!fd) {
    *error = "open log file " + path + ": " + std::strerror(errno);
    return false;
  }
  path_ = path;
  fd_ = std::move(fd);
  return true;
}

bool LogFile::Reopen(std::string* error) {
  UniqueFd fd(OpenForAppend(path_));
  if (!fd) {
    *error = "reopen log file " + path_ + ": " + std::strerror(errno);
    return false;
  }
  fd_ = std::move(fd);
  failing_ = false;
  return true;
}

void LogFile::Write(std::string_view records) {
  if (records.empty()) return;
  if (WriteAll(fd_.get(), records)) {
    failing_ = false;
    return;
  }
  if (!failing_) {
    LogMonitorError("write log file " + path_ + ": " + std::strerror(errno) +
                    " (dropping output until it recovers)");
  }
  failing_ = true;
}

}  // namespace airlock::monitor
