// Small blocking-file helpers for the monitor (it links neither spdlog nor airlock_base's
// std::filesystem code, to stay tiny).
#pragma once

#include <string>
#include <string_view>

namespace airlock::monitor {

// Writes everything, retrying EINTR and short writes. False with errno set on failure.
bool WriteAll(int fd, std::string_view data);
// Reads up to max_bytes of a file; false (errno set) when it cannot be opened or read.
bool ReadSmallFile(const std::string& path, size_t max_bytes, std::string* out);
// temp file in the same directory + fsync + rename, so readers see all or nothing.
bool WriteFileAtomically(const std::string& path, std::string_view data, int mode);
// Diagnostics of the monitor itself go to its stderr (airlockd points it at a file).
void LogMonitorError(std::string_view message);

}  // namespace airlock::monitor
