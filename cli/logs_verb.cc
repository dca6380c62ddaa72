// logs: read the container's CRI log file directly (the CLI runs on the daemon's host) and
// print stdout records to stdout and stderr records to stderr; -f follows the file until the
// container stops, across the daemon's log rotation.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <thread>

#include "cli/cri_log.h"
#include "cli/inventory.h"
#include "cli/run_spec.h"
#include "cli/verbs.h"
#include "shim/base/unique_fd.h"

namespace airlock::cli {
namespace {

namespace v1 = runtime::v1;

constexpr auto kPollInterval = std::chrono::milliseconds(200);
// Asking the daemon whether the container still runs costs a call; not on every poll.
constexpr int kPollsPerStatusCheck = 5;

Result<UniqueFd> OpenLog(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return ErrnoError("open log " + path, errno,
                      errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal);
  }
  return fd;
}

// Feeds everything readable now into the decoder; returns the number of bytes read.
Result<size_t> Drain(int fd, CriLogDecoder& decoder, const std::string& path) {
  char buf[64 * 1024];
  size_t total = 0;
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read log " + path, errno);
    }
    if (n == 0) return total;
    decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
    total += static_cast<size_t>(n);
  }
}

// True when `path` now names another file than `fd` (rotated) or the file shrank (truncated).
bool Replaced(int fd, const std::string& path) {
  struct stat open_st {
  }, path_st{};
  if (fstat(fd, &open_st) != 0 || stat(path.c_str(), &path_st) != 0) return false;
  if (open_st.st_ino != path_st.st_ino || open_st.st_dev != path_st.st_dev) return true;
  off_t pos = lseek(fd, 0, SEEK_CUR);
  return pos >= 0 && path_st.st_size < pos;
}

// ContainerStatus.log_path is absolute for containerd and CRI-O; a relative one is resolved
// against the pod's log directory in the layout `airlock run` creates.
Result<std::string> LogPath(CriClient& client, const Inventory& inv, const std::string& id) {
  auto status = client.ContainerStatus(id);
  if (!status.ok()) return status.error().Wrap("inspect container " + id);
  std::string path = status->status().log_path();
  if (path.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, "container " + id + " has no log path");
  }
  if (path[0] == '/') return path;
  const ContainerInfo* c = inv.FindContainer(id);
  const PodInfo* pod = c ? inv.FindPod(c->pod_id) : nullptr;
  if (pod == nullptr) {
    return MakeError(ErrorCode::kNotFound, "container " + id + ": relative log path " + path +
                                               " and no pod to anchor it");
  }
  return PodLogDirectory(pod->ns, pod->name, pod->uid) + "/" + path;
}

bool StillRunning(CriClient& client, const std::string& id) {
  auto status = client.ContainerStatus(id);
  if (!status.ok()) return false;  // gone: nothing more will be written
  auto state = status->status().state();
  return state == v1::CONTAINER_RUNNING || state == v1::CONTAINER_CREATED;
}

}  // namespace

Status LogsVerb(const VerbArgs& args, VerbEnv& env) {
  ArgParser p("airlock logs [options] CONTAINER",
              "Print a container's logs: its stdout to stdout, its stderr to stderr.\n"
              "CONTAINER may be a container id, id prefix or name, or a pod name.");
  p.Flag("follow", 'f', "keep printing new output until the container stops")
      .Option("namespace", 'n', "NAMESPACE", "namespace of the pod or container name");
  auto parsed = ParseVerbArgs(p, args, env);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->has_value()) return Status::Ok();
  const ParsedArgs& a = **parsed;
  AIRLOCK_RETURN_IF_ERROR(ExpectPositionals(a, 1, 1, p));

  CriClient client(env.globals.endpoint, env.globals.timeout);
  auto inv = LoadInventory(client);
  if (!inv.ok()) return inv.error();
  auto id = ResolveContainer(*inv, Query{a.positionals[0], a.Value("namespace")});
  if (!id.ok()) return id.error();
  auto path = LogPath(client, *inv, *id);
  if (!path.ok()) return path.error();
  auto fd = OpenLog(*path);
  if (!fd.ok()) return fd.error();

  CriLogDecoder decoder([&](LogStream s, std::string_view data) {
    (s == LogStream::kStdout ? env.out : env.err) << data;
  });
  const bool follow = a.Flag("follow");
  for (int polls = 0;; ++polls) {
    auto n = Drain(fd->get(), decoder, *path);
    if (!n.ok()) return n.error();
    env.out.flush();
    env.err.flush();
    if (!follow) break;
    if (Replaced(fd->get(), *path)) {
      // Whatever the old file still held was read above; continue with the new one.
      auto reopened = OpenLog(*path);
      if (reopened.ok()) *fd = std::move(*reopened);
      continue;
    }
    if (*n == 0 && polls % kPollsPerStatusCheck == 0 && !StillRunning(client, *id)) {
      // One last read: the container may have written its final lines just before exiting.
      auto last = Drain(fd->get(), decoder, *path);
      if (!last.ok()) return last.error();
      break;
    }
    if (*n == 0) std::this_thread::sleep_for(kPollInterval);
  }
  decoder.Finish();
  env.out.flush();
  env.err.flush();
  if (decoder.malformed() > 0) {
    env.err << "airlock: logs: skipped " << decoder.malformed()
            << " line(s) not in CRI log format in " << *path << "\n";
  }
  return Status::Ok();
}

}  // namespace airlock::cli
