// Command line of airlock-monitor (see README.md for the protocol airlockd relies on).
#pragma once

#include <string>

namespace airlock::monitor {

struct MonitorFlags {
  std::string id;
  std::string bundle;
  std::string runtime;       // path of the OCI runtime binary (runc, crun)
  std::string runtime_root;  // the runtime's --root; empty: the runtime's default
  std::string state_dir;     // pid, monitor.pid, ctl, exit live here
  std::string log_path;      // CRI log file
  bool tty = false;
  bool stdin_open = false;  // keep the container's stdin open (write end held by the monitor)
  bool stdin_once = false;  // close stdin when the first attach detaches (attach: later)
  bool systemd_cgroup = false;
  int sync_fd = -1;            // one report line goes here, then it is closed
  int runtime_timeout_s = 60;  // bound on `<runtime> create`
  bool help = false;
};

// Fills *flags or returns false with a message in *error. Paths must be absolute because the
// monitor changes its directory to "/" (it must not pin a mount).
bool ParseMonitorFlags(int argc, char** argv, MonitorFlags* flags, std::string* error);

const char* MonitorUsage();

}  // namespace airlock::monitor
