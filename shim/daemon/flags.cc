#include "shim/daemon/flags.h"

namespace airlock {

const char* DaemonUsage() {
  return "usage: airlockd [flags]\n"
         "\n"
         "airlockd is a Kubernetes CRI runtime (runtime.v1) that runs pods and containers\n"
         "through an OCI runtime (runc) and executes commands inside them.\n"
         "\n"
         "flags (each overrides the config file):\n"
         "  --config FILE          config file (default /etc/airlock/airlock.toml when present)\n"
         "  --address SOCKET       CRI unix socket (default /run/airlock/airlock.sock)\n"
         "  --root DIR             persistent state (default /var/lib/airlock)\n"
         "  --state DIR            volatile state (default /run/airlock)\n"
         "  --runtime PATH         OCI runtime binary (default runc)\n"
         "  --stream-port PORT     streaming server port on loopback (0 = any)\n"
         "  --log-level LEVEL      trace|debug|info|warn|error (default info)\n"
         "  --version              print the version and exit\n"
         "  -h, --help             print this help and exit\n";
}

Result<DaemonFlags> ParseDaemonFlags(const std::vector<std::string>& args) {
  DaemonFlags f;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_inline = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto take = [&](std::string* out) -> Status {
      if (has_inline) {
        *out = value;
        return Status::Ok();
      }
      if (i + 1 >= args.size())
        return MakeError(ErrorCode::kInvalidArgument, "flag " + arg + " needs a value");
      *out = args[++i];
      return Status::Ok();
    };
    std::string v;
    if (arg == "--version") {
      f.version = true;
    } else if (arg == "-h" || arg == "--help") {
      f.help = true;
    } else if (arg == "--config") {
      AIRLOCK_RETURN_IF_ERROR(take(&f.config_path));
    } else if (arg == "--address") {
      AIRLOCK_RETURN_IF_ERROR(take(&v));
      f.address = v;
    } else if (arg == "--root") {
      AIRLOCK_RETURN_IF_ERROR(take(&v));
      f.root = v;
    } else if (arg == "--state") {
      AIRLOCK_RETURN_IF_ERROR(take(&v));
      f.state = v;
    } else if (arg == "--runtime") {
      AIRLOCK_RETURN_IF_ERROR(take(&v));
      f.runtime = v;
    } else if (arg == "--log-level") {
      AIRLOCK_RETURN_IF_ERROR(take(&v));
      f.log_level = v;
    } else if (arg == "--stream-port") {
      AIRLOCK_RETURN_IF_ERROR(take(&v));
      char* end = nullptr;
      long port = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || port < 0 || port > 65535)
        return MakeError(ErrorCode::kInvalidArgument,
                         "flag --stream-port \"" + v + "\": expected 0..65535");
      f.stream_port = static_cast<int>(port);
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown flag \"" + args[i] + "\" (see --help)");
    }
  }
  return f;
}

}  // namespace airlock
