// How the container ended, as airlockd reads it from <state-dir>/exit.
#pragma once

#include <cstdint>
#include <string>

namespace airlock::monitor {

struct ExitRecord {
  int exit_code = -1;  // status, or 128 + signal (what shells and the CRI report)
  int signal = 0;      // the terminating signal, 0 when the init called exit
  int64_t finished_at_ns = 0;
  const char* reason = "Error";  // Completed | Error | OOMKilled
};

// oom_kills_during_run: how many OOM kills the container's memory cgroup saw (-1 unknown).
ExitRecord ExitRecordFromWaitStatus(int wait_status, int64_t finished_at_ns,
                                    long oom_kills_during_run);

// {"exit_code":N,"finished_at":NS,"reason":"...","signal":S}
std::string FormatExitJson(const ExitRecord& record);

// The file whose "oom_kill N" line counts OOM kills in the memory cgroup of `pid`: cgroup v1
// memory.oom_control or v2 memory.events. Empty when it cannot be found. Resolved while the
// container runs because the cgroup goes away with `runtime delete`.
std::string FindOomCounterFile(int pid);
// The "oom_kill" counter of that file, or -1.
long ReadOomKillCount(const std::string& counter_file);

}  // namespace airlock::monitor
