// Real-runc tests of the exec engine (root only). A busybox container is started with
// `runc run -d` under our own --root, and every check is made from inside a process the
// engine exec'd there, against what the container's own init shows.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "nsenter/container_target.h"
#include "nsenter/exec_spec.h"
#include "nsenter/launch.h"
#include "shim/base/file_util.h"

namespace airlock::nsenter {
namespace {

std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

std::string Slurp(const std::string& path) {
  auto r = ReadFile(path, 1 << 20);
  return r.ok() ? *r : std::string();
}

// Lines of `text` starting with one of `prefixes`, joined.
std::string Lines(const std::string& text, const std::vector<std::string>& prefixes) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    for (const auto& p : prefixes) {
      if (line.rfind(p, 0) == 0) {
        out += line + "\n";
        break;
      }
    }
  }
  return out;
}

struct Container {
  std::string id, bundle;
  int pid = 0;
  uint64_t start_time = 0;
  nlohmann::json config;
};

class RuncEnv {
 public:
  RuncEnv() {
    char tmpl[] = "/tmp/airlock-nsx-XXXXXX";
    dir_ = mkdtemp(tmpl);
    chmod(dir_.c_str(), 0755);  // a user-namespaced container root must traverse it
    root_ = dir_ + "/runc-root";
  }
  ~RuncEnv() {
    // runc delete removes each container's cgroup; /airlock-test itself is shared.
    for (auto& id : ids_) Delete(id);
    (void)RemoveTree(dir_);
  }

  static nlohmann::json BaseConfig(const std::string& id, const std::string& rootfs) {
    using nlohmann::json;
    json caps = {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_AUDIT_WRITE"};
    json amb = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
    json seccomp = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
#if defined(__x86_64__)
    seccomp["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#endif
    return json{{"ociVersion", "1.0.2"},
                {"process",
                 {{"terminal", false},
                  {"user", {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {1001, 1002}}}},
                  {"args", {"sleep", "100000"}},
                  {"env", {"PATH=/usr/bin:/bin", "HOME=/"}},
                  {"cwd", "/"},
                  {"capabilities",
                   {{"bounding", caps},
                    {"effective", caps},
                    {"permitted", caps},
                    {"inheritable", amb},
                    {"ambient", amb}}},
                  {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 512}}}},
                  {"noNewPrivileges", true}}},
                {"root", {{"path", rootfs}, {"readonly", false}}},
                {"hostname", "airlock-nsx"},
                {"mounts",
                 {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                  {{"destination", "/dev"},
                   {"type", "tmpfs"},
                   {"source", "tmpfs"},
                   {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
                  {{"destination", "/dev/pts"},
                   {"type", "devpts"},
                   {"source", "devpts"},
                   {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
                  {{"destination", "/tmp"},
                   {"type", "tmpfs"},
                   {"source", "tmpfs"},
                   {"options", {"nosuid", "mode=1777"}}}}},
                {"linux",
                 {{"namespaces",
                   {{{"type", "pid"}},
                    {{"type", "network"}},
                    {{"type", "ipc"}},
                    {{"type", "uts"}},
                    {{"type", "mount"}}}},
                  {"cgroupsPath", "/airlock-test/" + id},
                  {"seccomp", seccomp}}}};
  }

  // Busybox rootfs with the applets the tests use, a non-executable file and a script
  // with a missing interpreter.
  std::string MakeRootfs(const std::string& name) {
    std::string rootfs = dir_ + "/" + name + "/rootfs";
    EXPECT_TRUE(MakeDirs(rootfs + "/bin").ok());
    for (auto d : {"/proc", "/dev", "/tmp", "/etc", "/sys"}) (void)MakeDirs(rootfs + d);
    Sh("cp /bin/busybox " + rootfs + "/bin/busybox");
    for (auto a : {"sh", "ls", "cat", "grep", "id", "readlink", "mkdir", "sleep", "stty", "true",
                   "echo", "pwd"}) {
      symlink("busybox", (rootfs + "/bin/" + a).c_str());
    }
    EXPECT_TRUE(WriteFileAtomic(rootfs + "/bin/noexec", "#!/bin/sh\necho hi\n", 0644).ok());
    return rootfs;
  }

  Container Start(const std::string& id, nlohmann::json config) {
    Container c;
    c.id = id;
    c.bundle = dir_ + "/" + id;
    c.config = config;
    EXPECT_TRUE(WriteFileAtomic(c.bundle + "/config.json", config.dump(2)).ok());
    // Output to a file, not our pipe: the detached container inherits runc's stdio.
    std::string log = c.bundle + "/runc.log";
    std::string out = Sh("runc --root " + root_ + " run -d --bundle " + c.bundle + " " + id +
                         " </dev/null >" + log + " 2>&1; echo rc=$?; cat " + log);
    EXPECT_NE(out.find("rc=0"), std::string::npos) << "runc run " << id << ": " << out;
    ids_.push_back(id);
    auto state = nlohmann::json::parse(Sh("runc --root " + root_ + " state " + id), nullptr, false);
    if (state.is_object()) c.pid = state.value("pid", 0);
    auto st = ReadStartTime(c.pid);
    if (st.ok()) c.start_time = *st;
    return c;
  }

  void Delete(const std::string& id) {
    Sh("runc --root " + root_ + " delete -f " + id + " >/dev/null 2>&1");
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, root_;
  std::vector<std::string> ids_;
};

struct ExecResult {
  int exit_code = -1;
  std::string out, err;
  Error error;
  bool launched = false;
};

// Reads both pipes to EOF, then waits: the same order the shim's ExecSync uses.
ExecResult RunIn(const ContainerTarget& target, ExecSpec spec) {
  ExecResult r;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return r;
  UniqueFd out_r(out[0]), err_r(err[0]);
  ExecStdio stdio;
  stdio.out = UniqueFd(out[1]);
  stdio.err = UniqueFd(err[1]);
  auto proc = Launch(target, spec, std::move(stdio));
  if (!proc.ok()) {
    r.error = proc.error();
    return r;
  }
  r.launched = true;
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  int open_count = 2;
  while (open_count > 0 && poll(fds, 2, 10000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        fds[i].fd = -1;
        --open_count;
      } else {
        (i == 0 ? r.out : r.err).append(buf, n);
      }
    }
  }
  auto code = proc->Wait();
  r.exit_code = code.ok() ? *code : -1;
  return r;
}

class NsenterExecTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0 || system("runc --version >/dev/null 2>&1") != 0 ||
        access("/bin/busybox", X_OK) != 0) {
      return;
    }
    env_ = new RuncEnv();
    std::string id = "airlock-nsx-" + std::to_string(getpid());
    container_ = new Container(env_->Start(id, RuncEnv::BaseConfig(id, env_->MakeRootfs(id))));
  }
  static void TearDownTestSuite() {
    delete container_;
    container_ = nullptr;
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    if (!container_ || container_->pid <= 0) GTEST_SKIP() << "needs root, runc and busybox";
    auto t = PinContainer(container_->id, container_->pid, container_->start_time);
    ASSERT_TRUE(t.ok()) << t.error().message;
    target_ = std::move(*t);
    auto spec = ExecSpecFromOci(container_->config);
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    spec_ = std::move(*spec);
  }
  ExecResult Run(std::vector<std::string> argv) {
    ExecSpec spec = spec_;
    spec.argv = std::move(argv);
    return RunIn(target_, spec);
  }
  std::string InitProc(const std::string& file) {
    return Slurp("/proc/" + std::to_string(container_->pid) + "/" + file);
  }

  static RuncEnv* env_;
  static Container* container_;
  ContainerTarget target_;
  ExecSpec spec_;
};
RuncEnv* NsenterExecTest::env_ = nullptr;
Container* NsenterExecTest::container_ = nullptr;

TEST_F(NsenterExecTest, JoinsEveryNamespaceOfTheInit) {
  const std::vector<std::string> kinds = {"cgroup", "ipc",  "mnt", "net",
                                          "pid",    "user", "uts", "time"};
  std::string script = "for n in";
  std::string want;
  for (const auto& k : kinds) {
    script += " " + k;
    char link[256] = {};
    std::string path = "/proc/" + std::to_string(container_->pid) + "/ns/" + k;
    ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
    if (n > 0) want += std::string(link, n) + "\n";
  }
  script += "; do readlink /proc/self/ns/$n; done";
  auto r = Run({"sh", "-c", script});
  ASSERT_TRUE(r.launched) << r.error.message;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, want);
  EXPECT_NE(r.out.find("pid:"), std::string::npos);
  // The setup code ran in memory shared with this process (CLONE_VM), whose mm Launch made
  // non-dumpable before the first setns: nothing in the container could ptrace it.
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

TEST_F(NsenterExecTest, JoinsTheInitsCgroups) {
  auto r = Run({"cat", "/proc/self/cgroup"});
  ASSERT_TRUE(r.launched) << r.error.message;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, InitProc("cgroup"));
  EXPECT_NE(r.out.find("/airlock-test/" + container_->id), std::string::npos);
}

TEST_F(NsenterExecTest, CapsNoNewPrivsAndSeccompEqualTheInits) {
  const std::vector<std::string> keys = {"CapInh:", "CapPrm:",     "CapEff:",  "CapBnd:",
                                         "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:"};
  auto r = Run({"cat", "/proc/self/status"});
  ASSERT_TRUE(r.launched) << r.error.message;
  std::string ours = Lines(r.out, keys);
  EXPECT_EQ(ours, Lines(InitProc("status"), keys));
  EXPECT_NE(ours.find("NoNewPrivs:\t1"), std::string::npos) << ours;
  EXPECT_NE(ours.find("Seccomp:\t2"), std::string::npos) << ours;
  // CAP_KILL(5) | CAP_NET_BIND_SERVICE(10) inheritable, as the spec says (not more).
  EXPECT_NE(ours.find("CapInh:\t0000000000000420"), std::string::npos) << ours;
}

TEST_F(NsenterExecTest, SeccompFilterBlocksMkdirWithEperm) {
  auto r = Run({"mkdir", "/tmp/blocked"});
  ASSERT_TRUE(r.launched) << r.error.message;
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(NsenterExecTest, UidGidAndGroupsEqualTheInits) {
  const std::vector<std::string> keys = {"Uid:", "Gid:", "Groups:"};
  auto r = Run({"cat", "/proc/self/status"});
  ASSERT_TRUE(r.launched) << r.error.message;
  std::string ours = Lines(r.out, keys);
  EXPECT_EQ(ours, Lines(InitProc("status"), keys));
  EXPECT_EQ(ours,
            "Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t1001 1002 \n");
}

TEST_F(NsenterExecTest, RlimitsFromTheSpec) {
  auto r = Run({"cat", "/proc/self/limits"});
  ASSERT_TRUE(r.launched) << r.error.message;
  std::string line = Lines(r.out, {"Max open files"});
  EXPECT_NE(line.find("512"), std::string::npos) << line;
  EXPECT_NE(line.find("1024"), std::string::npos) << line;
}

TEST_F(NsenterExecTest, OnlyStdioDescriptorsSurvive) {
  // A host fd the daemon forgot to mark CLOEXEC must still not reach the container.
  UniqueFd leaked(open("/", O_RDONLY | O_DIRECTORY));  // deliberately no O_CLOEXEC
  ASSERT_TRUE(leaked.valid());
  // `ls` lists its own open directory too: that is the 3.
  auto r = Run({"ls", "/proc/self/fd"});
  ASSERT_TRUE(r.launched) << r.error.message;
  EXPECT_EQ(r.out, "0\n1\n2\n3\n");
  // The shell's own table, listed by another process: exactly 0, 1, 2.
  auto sh = Run({"sh", "-c", "ls /proc/$$/fd; exit 0"});
  EXPECT_EQ(sh.out, "0\n1\n2\n");
}

TEST_F(NsenterExecTest, ExitCodes) {
  for (int code : {0, 1, 42, 255}) {
    auto r = Run({"sh", "-c", "exit " + std::to_string(code)});
    ASSERT_TRUE(r.launched) << r.error.message;
    EXPECT_EQ(r.exit_code, code);
  }
  EXPECT_EQ(Run({"sh", "-c", "kill -9 $$"}).exit_code, 137);
  EXPECT_EQ(Run({"sh", "-c", "kill -15 $$"}).exit_code, 143);
}

TEST_F(NsenterExecTest, NotFoundIs127WithMessage) {
  auto r = Run({"no-such-command", "x"});
  ASSERT_TRUE(r.launched) << r.error.message;
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.err, "airlock: exec \"no-such-command\": executable file not found in $PATH\n");
  auto abs = Run({"/bin/nope"});
  EXPECT_EQ(abs.exit_code, 127);
  EXPECT_EQ(abs.err, "airlock: exec \"/bin/nope\": no such file or directory\n");
}

TEST_F(NsenterExecTest, NotExecutableIs126WithMessage) {
  auto r = Run({"/bin/noexec"});
  ASSERT_TRUE(r.launched) << r.error.message;
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_EQ(r.err, "airlock: exec \"/bin/noexec\": permission denied\n");
  EXPECT_EQ(Run({"noexec"}).exit_code, 126);  // found in $PATH, but no x bit
  EXPECT_EQ(Run({"/bin"}).exit_code, 126);    // a directory
}

TEST_F(NsenterExecTest, CwdIsUsedAndVerified) {
  spec_.cwd = "/tmp";
  auto r = Run({"pwd"});
  EXPECT_EQ(r.out, "/tmp\n");
  spec_.cwd = "/does/not/exist";
  auto missing = Run({"true"});
  EXPECT_FALSE(missing.launched);
  EXPECT_EQ(missing.error.code, ErrorCode::kFailedPrecondition);
}

TEST_F(NsenterExecTest, CwdProcSelfFdIsRejected) {
  UniqueFd leaked(open("/", O_RDONLY | O_DIRECTORY));  // host root, deliberately inheritable
  ASSERT_TRUE(leaked.valid());
  for (int fd = 0; fd < 16; ++fd) {
    spec_.cwd = "/proc/self/fd/" + std::to_string(fd);
    auto r = Run({"pwd"});
    EXPECT_FALSE(r.launched) << "cwd " << spec_.cwd << " gave " << r.out;
    EXPECT_EQ(r.error.code, ErrorCode::kFailedPrecondition) << r.error.message;
  }
}

TEST_F(NsenterExecTest, TtyWithInitialSizeAndResize) {
  spec_.tty = true;
  spec_.winsize = {24, 80};
  spec_.argv = {"sh", "-c", "stty size; read line; stty size; tty"};
  auto proc = Launch(target_, spec_, ExecStdio{});
  ASSERT_TRUE(proc.ok()) << proc.error().message;
  int master = proc->pty_master().get();
  ASSERT_GE(master, 0);
  auto read_until = [&](const std::string& needle) {
    std::string all;
    pollfd p{master, POLLIN, 0};
    while (all.find(needle) == std::string::npos && poll(&p, 1, 5000) > 0) {
      char buf[512];
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;
      all.append(buf, n);
    }
    return all;
  };
  EXPECT_NE(read_until("24 80").find("24 80"), std::string::npos);
  ASSERT_TRUE(proc->Resize(50, 132).ok());
  ASSERT_EQ(write(master, "\n", 1), 1);
  std::string rest = read_until("/dev/pts/");
  EXPECT_NE(rest.find("50 132"), std::string::npos) << rest;
  EXPECT_NE(rest.find("/dev/pts/"), std::string::npos) << rest;  // controlling tty is the pty
  auto code = proc->Wait();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

TEST_F(NsenterExecTest, KillGroupReachesBackgroundChildren) {
  spec_.argv = {"sh", "-c", "sleep 1000 & sleep 1000"};
  auto proc = Launch(target_, spec_, ExecStdio{});
  ASSERT_TRUE(proc.ok()) << proc.error().message;
  usleep(200 * 1000);
  auto running = proc->TryWait();
  ASSERT_TRUE(running.ok());
  EXPECT_FALSE(running->has_value());
  ASSERT_TRUE(proc->KillGroup(SIGKILL).ok());
  auto code = proc->Wait();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 137);
  usleep(100 * 1000);
  // No live (non-zombie) process is left in the group.
  int live = 0;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    int pid = atoi(e->d_name);
    if (pid <= 0) continue;
    auto stat = ReadFile("/proc/" + std::string(e->d_name) + "/stat", 4096);
    if (!stat.ok()) continue;
    auto rp = stat->rfind(')');
    std::istringstream in(stat->substr(rp + 2));
    std::string state;
    int ppid = 0, pgrp = 0;
    in >> state >> ppid >> pgrp;
    if (pgrp == proc->pid() && state != "Z") ++live;
  }
  closedir(d);
  EXPECT_EQ(live, 0);
}

TEST_F(NsenterExecTest, StartTimeMismatchIsNotRunning) {
  auto t = PinContainer(container_->id, container_->pid, container_->start_time + 1);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(t.error().message.find("container " + container_->id + " is not running"),
            std::string::npos);
}

TEST_F(NsenterExecTest, ReusedPidIsNotTheContainer) {
  // A process that lives at the pinned pid but is not the one recorded.
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  auto st = ReadStartTime(child);
  ASSERT_TRUE(st.ok());
  auto pinned = PinContainer("fake", child, *st);
  ASSERT_TRUE(pinned.ok());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  // Whatever now owns that pid number, the pidfd knows its process is gone.
  auto r = RunIn(*pinned, spec_);
  EXPECT_FALSE(r.launched);
  EXPECT_EQ(r.error.code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error.message.rfind("container fake is not running", 0), 0u) << r.error.message;
}

TEST_F(NsenterExecTest, ManyExecsLeaveNoFdsThreadsOrZombies) {
  auto count = [](const std::string& dir) {
    int n = 0;
    DIR* d = opendir(dir.c_str());
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
    return n;
  };
  auto zombies = [] {
    std::string children = Slurp("/proc/self/task/" + std::to_string(getpid()) + "/children");
    return children;  // every child of ours, zombie or not, must be gone
  };
  spec_.argv = {"true"};
  // Warm up lazily-created things (libc, logging) before taking the baseline.
  ASSERT_EQ(Run({"true"}).exit_code, 0);
  int fds = count("/proc/self/fd"), threads = count("/proc/self/task");
  for (int i = 0; i < 2000; ++i) {
    auto proc = Launch(target_, spec_, ExecStdio{});
    ASSERT_TRUE(proc.ok()) << i << ": " << proc.error().message;
    auto code = proc->Wait();
    ASSERT_TRUE(code.ok());
    ASSERT_EQ(*code, 0);
  }
  EXPECT_EQ(count("/proc/self/fd"), fds);
  EXPECT_EQ(count("/proc/self/task"), threads);
  EXPECT_EQ(zombies(), "");
}

// A container whose /dev/pts/ptmx is a symlink (no devpts mounted): a tty exec must refuse.
TEST_F(NsenterExecTest, PtmxSymlinkIsRejected) {
  std::string id = container_->id + "-noptmx";
  std::string rootfs = env_->MakeRootfs(id);
  ASSERT_TRUE(MakeDirs(rootfs + "/dev/pts").ok());
  ASSERT_EQ(symlink("/dev/null", (rootfs + "/dev/pts/ptmx").c_str()), 0);
  auto config = RuncEnv::BaseConfig(id, rootfs);
  config["mounts"] =
      nlohmann::json::array({{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}});
  Container c = env_->Start(id, config);
  ASSERT_GT(c.pid, 0);
  auto t = PinContainer(c.id, c.pid, c.start_time);
  ASSERT_TRUE(t.ok()) << t.error().message;
  spec_.tty = true;
  spec_.argv = {"true"};
  auto proc = Launch(*t, spec_, ExecStdio{});
  ASSERT_FALSE(proc.ok());
  EXPECT_EQ(proc.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(proc.error().message.find("ptmx"), std::string::npos) << proc.error().message;
  // The same container without a tty works: the refusal is about the PTY only.
  spec_.tty = false;
  EXPECT_EQ(RunIn(*t, spec_).exit_code, 0);

  // Stopped container: the pinned target and a fresh pin both say "not running".
  env_->Delete(id);
  auto r = RunIn(*t, spec_);
  EXPECT_FALSE(r.launched);
  EXPECT_EQ(r.error.code, ErrorCode::kFailedPrecondition);
  auto again = PinContainer(c.id, c.pid, c.start_time);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

// A container with its own user namespace: the engine must take the copying-fork path
// (the kernel refuses setns(CLONE_NEWUSER) to a task sharing the daemon's memory) and
// still land in every namespace with the container's credentials.
TEST_F(NsenterExecTest, UserNamespaceContainer) {
  std::string id = container_->id + "-userns";
  std::string rootfs = env_->MakeRootfs(id);
  ASSERT_EQ(Sh("chown -R 100000:100000 " + rootfs + "; echo $?"), "0\n");
  auto config = RuncEnv::BaseConfig(id, rootfs);
  config["linux"]["namespaces"].push_back({{"type", "user"}});
  config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  Container c = env_->Start(id, config);
  ASSERT_GT(c.pid, 0);
  auto t = PinContainer(c.id, c.pid, c.start_time);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto spec = ExecSpecFromOci(config);
  ASSERT_TRUE(spec.ok());
  // Ids print relative to the reader's user namespace: compare with the init (pid 1) as
  // seen from inside too.
  spec->argv = {"sh", "-c",
                "readlink /proc/self/ns/user; readlink /proc/self/ns/mnt; cat /proc/self/status; "
                "echo ===; "
                "cat /proc/1/status"};
  auto r = RunIn(*t, *spec);
  ASSERT_TRUE(r.launched) << r.error.message;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string init = "/proc/" + std::to_string(c.pid);
  char user[128] = {}, mnt[128] = {};
  ASSERT_GT(readlink((init + "/ns/user").c_str(), user, sizeof user - 1), 0);
  ASSERT_GT(readlink((init + "/ns/mnt").c_str(), mnt, sizeof mnt - 1), 0);
  EXPECT_EQ(r.out.substr(0, r.out.find("Name:")), std::string(user) + "\n" + mnt + "\n");
  const std::vector<std::string> keys = {
      "Uid:",    "Gid:",    "Groups:", "CapInh:",     "CapPrm:",
      "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"};
  size_t split = r.out.find("===");
  ASSERT_NE(split, std::string::npos);
  std::string ours = Lines(r.out.substr(0, split), keys);
  EXPECT_EQ(ours, Lines(r.out.substr(split), keys));
  EXPECT_NE(ours.find("Uid:\t1000\t1000\t1000\t1000"), std::string::npos) << ours;
  env_->Delete(id);
}

}  // namespace
}  // namespace airlock::nsenter
