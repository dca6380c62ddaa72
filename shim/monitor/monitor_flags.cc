#include "shim/monitor/monitor_flags.h"

#include <cstdlib>
#include <cstring>

namespace airlock::monitor {
namespace {

bool ParseInt(const char* text, int min, int max, int* out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > max) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

const char* MonitorUsage() {
  return "usage: airlock-monitor --id ID --bundle DIR --runtime PATH [--runtime-root DIR]\n"
         "         --state-dir DIR --log-path FILE [--tty] [--stdin] [--stdin-once]\n"
         "         [--sync-fd N] [--systemd-cgroup] [--runtime-timeout SECONDS]\n";
}

bool ParseMonitorFlags(int argc, char** argv, MonitorFlags* flags, std::string* error) {
  struct StringFlag {
    const char* name;
    std::string* value;
  };
  const StringFlag string_flags[] = {
      {"--id", &flags->id},
      {"--bundle", &flags->bundle},
      {"--runtime", &flags->runtime},
      {"--runtime-root", &flags->runtime_root},
      {"--state-dir", &flags->state_dir},
      {"--log-path", &flags->log_path},
  };
  struct BoolFlag {
    const char* name;
    bool* value;
  };
  const BoolFlag bool_flags[] = {
      {"--tty", &flags->tty},
      {"--stdin", &flags->stdin_open},
      {"--stdin-once", &flags->stdin_once},
      {"--systemd-cgroup", &flags->systemd_cgroup},
      {"--help", &flags->help},
  };
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    bool matched = false;
    for (const BoolFlag& f : bool_flags) {
      if (std::strcmp(arg, f.name) == 0) {
        *f.value = true;
        matched = true;
      }
    }
    if (matched) continue;
    if (i + 1 >= argc) {
      *error = std::string("flag ") + arg + ": unknown or missing its value";
      return false;
    }
    const char* value = argv[i + 1];
    for (const StringFlag& f : string_flags) {
      if (std::strcmp(arg, f.name) == 0) {
        *f.value = value;
        matched = true;
      }
    }
    if (std::strcmp(arg, "--sync-fd") == 0) {
      if (!ParseInt(value, 0, 1 << 20, &flags->sync_fd)) {
        *error = std::string("flag --sync-fd: not a descriptor number: ") + value;
        return false;
      }
      matched = true;
    } else if (std::strcmp(arg, "--runtime-timeout") == 0) {
      if (!ParseInt(value, 1, 24 * 3600, &flags->runtime_timeout_s)) {
        *error = std::string("flag --runtime-timeout: not a number of seconds: ") + value;
        return false;
      }
      matched = true;
    }
    if (!matched) {
      *error = std::string("flag ") + arg + ": unknown";
      return false;
    }
    ++i;
  }
  if (flags->help) return true;
  for (const StringFlag& f : string_flags) {
    // Without --runtime-root the runtime uses its own default (/run/runc, /run/crun).
    if (f.value->empty() && f.value != &flags->runtime_root) {
      *error = std::string("flag ") + f.name + ": required";
      return false;
    }
  }
  const StringFlag paths[] = {{"--bundle", &flags->bundle},
                              {"--runtime", &flags->runtime},
                              {"--runtime-root", &flags->runtime_root},
                              {"--state-dir", &flags->state_dir},
                              {"--log-path", &flags->log_path}};
  for (const StringFlag& f : paths) {
    if (!f.value->empty() && (*f.value)[0] != '/') {
      *error = std::string("flag ") + f.name + ": not an absolute path: " + *f.value;
      return false;
    }
  }
  if (flags->id.find('/') != std::string::npos) {
    *error = "flag --id: must not contain '/': " + flags->id;
    return false;
  }
  return true;
}

}  // namespace airlock::monitor
