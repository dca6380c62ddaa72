#include "shim/monitor/exit_record.h"

#include <sys/wait.h>

#include <cstdlib>
#include <string_view>

#include "shim/monitor/fd_io.h"

namespace airlock::monitor {

ExitRecord ExitRecordFromWaitStatus(int wait_status, int64_t finished_at_ns,
                                    long oom_kills_during_run) {
  ExitRecord r;
  r.finished_at_ns = finished_at_ns;
  if (WIFEXITED(wait_status)) {
    r.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    r.signal = WTERMSIG(wait_status);
    r.exit_code = 128 + r.signal;
  }
  if (oom_kills_during_run > 0 && r.exit_code != 0) {
    r.reason = "OOMKilled";
  } else {
    r.reason = r.exit_code == 0 ? "Completed" : "Error";
  }
  return r;
}

std::string FormatExitJson(const ExitRecord& record) {
  std::string out = "{\"exit_code\":" + std::to_string(record.exit_code);
  out += ",\"finished_at\":" + std::to_string(record.finished_at_ns);
  out += ",\"reason\":\"" + std::string(record.reason) + "\"";
  out += ",\"signal\":" + std::to_string(record.signal) + "}\n";
  return out;
}

std::string FindOomCounterFile(int pid) {
  std::string text;
  if (!ReadSmallFile("/proc/" + std::to_string(pid) + "/cgroup", 16 << 10, &text)) return "";
  std::string v2_path;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    // "hierarchy-id:controllers:path"
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path(line.substr(c2 + 1));
    if (line.substr(0, c1) == "0" && controllers.empty()) v2_path = path;
    // v1: the memory controller may be co-mounted, e.g. "memory" alone or in a list.
    std::string_view list = controllers;
    while (!list.empty()) {
      size_t comma = list.find(',');
      if (list.substr(0, comma) == "memory") {
        return "/sys/fs/cgroup/memory" + path + "/memory.oom_control";
      }
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    }
  }
  if (!v2_path.empty()) return "/sys/fs/cgroup" + v2_path + "/memory.events";
  return "";
}

long ReadOomKillCount(const std::string& counter_file) {
  if (counter_file.empty()) return -1;
  std::string text;
  if (!ReadSmallFile(counter_file, 4096, &text)) return -1;
  size_t at = text.find("oom_kill ");
  if (at == std::string::npos) return -1;
  return std::strtol(text.c_str() + at + 9, nullptr, 10);
}

}  // namespace airlock::monitor
