// airlockd: load config, open the stores, serve CRI on a unix socket until SIGTERM/SIGINT.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "shim/base/file_util.h"
#include "shim/base/logging.h"
#include "shim/base/unique_fd.h"
#include "shim/base/work_pool.h"
#include "shim/config/config.h"
#include "shim/cri/runtime_manager.h"
#include "shim/daemon/flags.h"
#include "shim/daemon/readonly_exe.h"
#include "shim/daemon/sd_notify.h"
#include "shim/exec/exec_sync_runner.h"
#include "shim/image/image_store.h"
#include "shim/nodeapi/node_api_impl.h"
#include "shim/nodeapi/runtime_exec_resolver.h"
#include "shim/runtime/oci_runtime.h"
#include "shim/server/image_service.h"
#include "shim/server/runtime_service.h"
#include "shim/stream/stream_runtime.h"
#include "shim/stream/stream_server_options.h"
#include "shim/stream/stream_targets.h"
#include "streaming/request_cache.h"
#include "streaming/stream_server.h"

namespace airlock {
namespace {

nodeapi::NodeApiConfig NodeApiConfigFrom(const Config& config) {
  const NodeApiSection& n = config.node_api;
  nodeapi::NodeApiConfig out;
  out.node_name = n.node_name;
  if (out.node_name.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    out.node_name = host;
  }
  out.token_file = n.token_file;
  out.client_certificates = config.streaming.enable_tls && !config.streaming.tls_client_ca_file.empty();
  out.policy_file = n.policy_file;
  out.audit.path = n.audit_log;
  out.audit.max_bytes = uint64_t(n.audit_log_max_size);
  out.audit.keep = n.audit_log_max_backups;
  out.recording.enabled = n.record_tty_sessions;
  out.recording.dir = n.recording_dir;
  out.recording.max_bytes = uint64_t(n.recording_max_size);
  return out;
}

constexpr char kDefaultConfig[] = "/etc/airlock/airlock.toml";

std::string SelfDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : exe.parent_path().string();
}

Result<Config> BuildConfig(const DaemonFlags& flags, char** argv) {
  Config config;
  std::string path = flags.config_path;
  if (path.empty() && ::access(kDefaultConfig, R_OK) == 0) path = kDefaultConfig;
  if (!path.empty()) {
    auto loaded = LoadConfigFile(path);
    if (!loaded.ok()) return loaded.error();
    config = std::move(*loaded);
  }
  if (flags.address) config.address = *flags.address;
  if (flags.root) config.root = *flags.root;
  if (flags.state) config.state = *flags.state;
  if (flags.log_level) config.log_level = *flags.log_level;
  if (flags.runtime) config.runtime.binary = *flags.runtime;
  if (flags.stream_port) config.streaming.port = *flags.stream_port;
  // Accept the unix:// form crictl users write.
  if (config.address.rfind("unix://", 0) == 0) config.address = config.address.substr(7);
  std::string self_dir = SelfDir();
  if (::geteuid() == 0) {
    // Does not return when it re-executes; see readonly_exe.h for why.
    auto dir = RunFromReadOnlyExe(config.state, argv);
    if (!dir.ok()) return dir.error();
    self_dir = *dir;
  }
  AIRLOCK_RETURN_IF_ERROR(FinalizeConfig(config, self_dir));
  return config;
}

// One daemon per root: a second airlockd on the same state would corrupt it.
Result<UniqueFd> LockRoot(const std::string& root) {
  std::string path = root + "/airlockd.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return ErrnoError("open " + path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
    return MakeError(ErrorCode::kFailedPrecondition,
                     "lock " + path + ": another airlockd is using root " + root);
  return fd;
}

// A leftover socket file from a crashed daemon is removed; a live one is an error.
Status PrepareSocketPath(const std::string& address) {
  AIRLOCK_RETURN_IF_ERROR(MakeDirs(std::filesystem::path(address).parent_path().string(), 0711));
  struct stat st;
  if (::lstat(address.c_str(), &st) != 0) return Status::Ok();
  if (!S_ISSOCK(st.st_mode))
    return MakeError(ErrorCode::kFailedPrecondition,
                     "address " + address + " exists and is not a socket");
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (address.size() >= sizeof sun.sun_path)
    return MakeError(ErrorCode::kInvalidArgument,
                     "address " + address + " is too long for a unix socket");
  std::memcpy(sun.sun_path, address.c_str(), address.size() + 1);
  if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0)
    return MakeError(ErrorCode::kFailedPrecondition,
                     "address " + address + " is in use by a running server");
  ::unlink(address.c_str());
  return Status::Ok();
}

int Run(int argc, char** argv) {
  auto flags = ParseDaemonFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.ok()) {
    std::fprintf(stderr, "airlockd: %s\n", flags.error().message.c_str());
    return 2;
  }
  if (flags->help) {
    std::fputs(DaemonUsage(), stdout);
    return 0;
  }
  if (flags->version) {
    std::printf("airlockd %s (CRI runtime.v1)\n", AIRLOCK_VERSION);
    return 0;
  }
  auto config = BuildConfig(*flags, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "airlockd: %s\n", config.error().message.c_str());
    return 2;
  }
  if (Status st = SetupLogging(config->log_level); !st.ok()) {
    std::fprintf(stderr, "airlockd: %s\n", st.error().message.c_str());
    return 2;
  }

  SdNotifier notifier = SdNotifier::FromEnvironment();  // before any thread or child exists
  // Block the shutdown signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto fail = [](const Error& e) {
    spdlog::error("msg=\"airlockd cannot start\" error=\"{}\"", e.message);
    return 1;
  };
  for (const auto& dir : {config->root, config->state})
    if (Status st = MakeDirs(dir, 0711); !st.ok()) return fail(st.error());
  auto lock = LockRoot(config->root);
  if (!lock.ok()) return fail(lock.error());

  ImageStoreLimits limits;
  limits.max_layer_bytes = config->image.max_layer_bytes;
  limits.max_image_bytes = config->image.max_image_bytes;
  auto images = ImageStore::Open(config->root + "/images", limits);
  if (!images.ok()) return fail(images.error());

  OciRuntimeConfig rc;
  rc.binary = config->runtime.binary;
  rc.root = config->state + "/runtime";
  rc.monitor_path = config->runtime.monitor_path;
  rc.systemd_cgroup = config->runtime.cgroup_driver == "systemd";
  OciRuntime runtime(rc);

  auto manager =
      RuntimeManager::Create({&*config, images->get(), &runtime, &SystemClock::Instance()});
  if (!manager.ok()) return fail(manager.error());

  ExecSyncRunner::Options exec_options;
  exec_options.output_limit = config->exec.sync_output_limit;
  exec_options.drain_timeout = std::chrono::milliseconds(config->exec.drain_timeout_ms);
  exec_options.max_concurrent = config->exec.max_concurrent;
  auto exec_sync = ExecSyncRunner::Create(exec_options, &SystemClock::Instance());
  if (!exec_sync.ok()) return fail(exec_sync.error());

  // The streaming server: bound (so its URL is known) and accepting before READY, since a
  // URL handed out by Exec must work at once. It must stop before the manager goes: its
  // sessions hold processes the runtime started.
  streaming::RequestCache stream_cache(SystemClock::Instance());
  ManagerStreamTargets stream_targets(**manager);
  ShimStreamRuntime::Options stream_runtime_options;
  stream_runtime_options.max_concurrent = config->exec.max_concurrent;
  ShimStreamRuntime stream_runtime(stream_targets, stream_runtime_options);
  auto stream_server =
      streaming::StreamServer::Create(StreamServerOptionsFromConfig(config->streaming),
                                      &stream_runtime, &stream_cache, &SystemClock::Instance());
  if (!stream_server.ok())
    return fail(stream_server.error().Wrap("start streaming server on " +
                                           config->streaming.address + ":" +
                                           std::to_string(config->streaming.port)));
  // The node exec API shares the streaming port; it outlives the server (declared first).
  nodeapi::RuntimeExecTargetResolver node_resolver(**manager);
  std::unique_ptr<nodeapi::NodeApiImpl> node_api;
  if (config->node_api.enabled) {
    auto created = nodeapi::NodeApiImpl::Create(NodeApiConfigFrom(*config), node_resolver,
                                                SystemClock::Instance());
    if (!created.ok()) return fail(created.error().Wrap("start the node exec API"));
    node_api = std::move(*created);
    (*stream_server)->SetNodeApi(node_api.get());
  }
  if (Status st = (*stream_server)->Start(); !st.ok()) return fail(st.error());

  WorkPool pool(8);
  RuntimeServiceImpl runtime_service(*config, **manager, pool, **exec_sync,
                                     {&stream_cache, (*stream_server)->base_url()});
  ImageServiceImpl image_service(**images, **manager, pool);

  if (Status st = PrepareSocketPath(config->address); !st.ok()) return fail(st.error());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + config->address, grpc::InsecureServerCredentials());
  builder.RegisterService(&runtime_service);
  builder.RegisterService(&image_service);
  // The kubelet sends and accepts up to 16 MiB messages.
  builder.SetMaxReceiveMessageSize(16 << 20);
  builder.SetMaxSendMessageSize(16 << 20);
  mode_t old_umask = ::umask(0177);  // the socket is created 0600: root-only, like containerd's
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ::umask(old_umask);
  if (!server)
    return fail(MakeError(ErrorCode::kUnavailable, "listen on " + config->address + " failed"));
  ::chmod(config->address.c_str(), 0600);
  spdlog::info(
      "msg=\"airlockd serving\" version={} address={} root={} state={} runtime={} "
      "streaming={}",
      AIRLOCK_VERSION, config->address, config->root, config->state, config->runtime.binary,
      (*stream_server)->base_url());
  if (Status st = notifier.Notify("READY=1"); !st.ok())
    spdlog::warn("msg=\"{}\"", st.error().message);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("msg=\"shutting down\" signal={}", strsignal(sig));
  (void)notifier.Notify("STOPPING=1");  // best effort: systemd sees the exit either way
  // Containers keep running: they belong to their monitors, not to airlockd.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  // No new tokens can be issued now; end the sessions (their processes get the disconnect
  // treatment) while the manager and the exec engine still exist.
  (*stream_server)->Stop();
  ::unlink(config->address.c_str());
  spdlog::info("msg=\"stopped\"");
  return 0;
}

}  // namespace
}  // namespace airlock

int main(int argc, char** argv) { return airlock::Run(argc, argv); }
