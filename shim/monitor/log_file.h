// The CRI log file the monitor appends to. Reopen follows log rotation: the kubelet renames
// the file and then asks (ReopenContainerLog) for a new one at the same path.
#pragma once

#include <string>
#include <string_view>

#include "shim/base/unique_fd.h"

namespace airlock::monitor {

class LogFile {
 public:
  bool Open(const std::string& path, std::string* error);
  // Opens a fresh file at the same path before dropping the old one, so no record is lost
  // and a failed reopen keeps logging to the old file.
  bool Reopen(std::string* error);
  // Errors (ENOSPC, EIO) are reported once per streak and the records dropped: a full disk
  // must not block the container on a full pipe.
  void Write(std::string_view records);

 private:
  std::string path_;
  UniqueFd fd_;
  bool failing_ = false;
};

}  // namespace airlock::monitor
